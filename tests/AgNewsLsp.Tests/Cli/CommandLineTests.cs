using System.Text.Json;
using AgNewsLsp.Server.Cli;
using AgNewsLsp.Tests.Engine;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Tests.Cli;

[Collection(TrainedEngineCollection.Name)]
public class CommandLineTests(TrainedEngineFixture fixture)
{
    private (int Code, string Out, string Err) Run(string stdin, params string[] args) =>
        CliRun.Run(stdin, args.Length > 0 && args[0] is "--help" ? args : [.. args, "--cache", TestPaths.TestCache, "--head", fixture.HeadPath, "--quiet"]);

    [Fact]
    public void Classify_prints_the_label_and_probabilities()
    {
        var (code, output, _) = Run("", "classify", "The", "Lakers", "won", "the", "NBA", "finals", "after", "a", "dramatic", "game", "seven.");
        Assert.Equal(0, code);
        Assert.StartsWith("Sports\t", output);
        Assert.Contains("World", output);
    }

    [Fact]
    public void Classify_reads_standard_input_and_writes_json()
    {
        var (code, output, _) = Run("Microsoft released a new version of Windows with better security for PCs.", "classify", "-", "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal("Sci/Tech", doc.RootElement.GetProperty("label").GetString());
        Assert.Equal(1.0, doc.RootElement.GetProperty("probabilities").EnumerateObject().Sum(p => p.Value.GetDouble()), 3);
    }

    [Fact]
    public void Empty_text_is_a_clear_error()
    {
        var (code, _, err) = Run("   ", "classify", "-");
        Assert.Equal(1, code);
        Assert.Contains("empty or too short", err);
    }

    [Fact]
    public void Label_with_paragraphs_labels_each_paragraph_with_its_lines()
    {
        using var folder = new TempFolder();
        var file = Path.Combine(folder.Path, "news.txt");
        File.WriteAllText(file, "The goalkeeper saved a penalty and the team won the cup final.\n\nShares of the bank fell after profits dropped and investors sold stock.\n");
        var (code, output, err) = Run("", "label", file, "--paragraphs", "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        var paragraphs = doc.RootElement[0].GetProperty("paragraphs");
        Assert.Equal(2, paragraphs.GetArrayLength());
        Assert.Equal("Sports", paragraphs[0].GetProperty("prediction").GetProperty("label").GetString());
        Assert.Equal("Business", paragraphs[1].GetProperty("prediction").GetProperty("label").GetString());
        Assert.Equal(3, paragraphs[1].GetProperty("startLine").GetInt32());
    }

    [Fact]
    public void Missing_file_is_a_clear_error()
    {
        var (code, _, err) = Run("", "label", "/definitely/not/here.txt");
        Assert.Equal(1, code);
        Assert.Contains("/definitely/not/here.txt", err);
    }

    [Fact]
    public void Malformed_csv_row_names_file_and_line_and_can_be_skipped()
    {
        using var folder = new TempFolder();
        var file = Path.Combine(folder.Path, "bad.csv");
        File.WriteAllText(file, "\"2\",\"Cup final\",\"The team won the cup.\"\n\"9\",\"Oops\",\"Label nine does not exist.\"\n\"3\",\"Stocks\",\"Shares rose on Wall Street.\"\n");
        var (code, _, err) = Run("", "evaluate", "--data", file);
        Assert.Equal(1, code);
        Assert.Contains("bad.csv", err);
        Assert.Contains("line 2", err);

        var (skipCode, output, skipErr) = Run("", "evaluate", "--data", file, "--skip-bad-rows", "--json");
        Assert.True(skipCode == 0, skipErr);
        Assert.Equal(2, JsonDocument.Parse(output).RootElement.GetProperty("count").GetInt32());
    }

    [Fact]
    public void Usage_errors_exit_2()
    {
        Assert.Equal(2, Run("", "frobnicate").Code);
        Assert.Equal(2, Run("", "train").Code); // no --data
        Assert.Equal(2, Run("", "classify", "x", "--no-such-option").Code);
        Assert.Equal(0, Run("", "--help").Code);
    }

    [Fact]
    public void Epochs_for_a_hybrid_head_and_passes_for_a_linear_one_are_usage_errors_naming_the_other()
    {
        var data = TestPaths.AgNewsTrain;
        var (code, _, err) = Run("", "train", "--data", data, "--head-kind", "hybrid", "--max-epochs", "3");
        Assert.Equal(2, code);
        Assert.Contains("maxPasses", err);
        (code, _, err) = Run("", "train", "--data", data, "--head-kind", "linear", "--max-passes", "3");
        Assert.Equal(2, code);
        Assert.Contains("maxEpochs", err);
    }

    [Fact]
    public void Model_info_names_the_embedded_default_and_the_head()
    {
        var (code, output, _) = Run("", "model", "info", "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal("sentence-transformers/all-MiniLM-L6-v2", doc.RootElement.GetProperty("model").GetString());
        Assert.Equal("embedded", doc.RootElement.GetProperty("source").GetString());
        Assert.Equal(384, doc.RootElement.GetProperty("hidden").GetInt32());
        Assert.Equal(fixture.HeadPath, doc.RootElement.GetProperty("head").GetString());
    }

    [Fact]
    public void A_wrong_model_head_is_refused_by_the_cli()
    {
        using var folder = new TempFolder();
        var foreign = Path.Combine(folder.Path, "foreign.json");
        File.WriteAllText(foreign, File.ReadAllText(fixture.HeadPath).Replace(fixture.Engine.Encoder.Fingerprint, "ffffffffffffffff"));
        var (code, _, stderr) = CliRun.Run("", "classify", "some text about football", "--cache", TestPaths.TestCache, "--head", foreign, "--quiet");
        Assert.Equal(1, code);
        Assert.Contains("trained for model", stderr);
    }

    [Fact]
    public void Train_reads_every_data_file_given_and_reports_the_hybrid_head_with_its_calibration()
    {
        using var folder = new TempFolder();
        var a = Path.Combine(folder.Path, "a.csv");
        var b = Path.Combine(folder.Path, "b.csv");
        var lines = File.ReadLines(TestPaths.AgNewsTrain).Take(500).ToArray();
        File.WriteAllLines(a, lines[..300]);
        File.WriteAllLines(b, lines[250..]); // 50 rows in both files
        var head = Path.Combine(folder.Path, "h.head.json");
        var (code, output, err) = Run("", "train", "--data", a, "--data", b, "--head-kind", "hybrid", "--max-passes", "3", "--out", head, "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal(500, root.GetProperty("trainCount").GetInt32() + root.GetProperty("validationCount").GetInt32());
        Assert.Equal(50, root.GetProperty("duplicateRows").GetInt32());
        Assert.Equal("hybrid", root.GetProperty("headKind").GetString());
        // the shape agnews/train sends (Wire.TrainResultDto): seconds as numbers, not a TimeSpan
        Assert.True(root.GetProperty("featureSeconds").GetDouble() >= 0);
        Assert.False(root.TryGetProperty("featureTime", out _));
        Assert.InRange(root.GetProperty("temperature").GetDouble(), 0.05, 20);
        Assert.True(root.GetProperty("validation").TryGetProperty("expectedCalibrationError", out _));
        Assert.Equal(global::AgNewsLsp.Settings.HeadKind.Hybrid, global::AgNewsLsp.Training.HeadFile.Load(head).Kind);
        // The same data as positional arguments after --data.
        Assert.Equal(0, Run("", "train", "--data", a, b, "--max-passes", "1", "--out", head, "--quiet").Code);
        Assert.Equal(2, Run("", "train", "--data", a, "--head-kind", "forest").Code);
    }
}
