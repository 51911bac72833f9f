using System.Text.Json;
using AgNewsLsp.Server.Cli;
using AgNewsLsp.Tests.Engine;

namespace AgNewsLsp.Tests.Cli;

/// <summary>Data with classes of its own trains a head with those classes through the CLI, on the real engine.</summary>
public class OwnClassesCliTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private string HeadPath => _temp.Combine("five.head.json");

    public void Dispose() => _temp.Dispose();

    private (int Code, string Out, string Err) Run(params string[] args) =>
        CliRun.Run("", [.. args, "--cache", TestPaths.TestCache, "--head", HeadPath, "--quiet"]);

    [Fact]
    public void A_head_trained_on_five_named_classes_labels_with_those_names()
    {
        var data = FiveClassData.Write(_temp.Path);
        var (trained, trainOut, trainErr) = Run("train", "--data", data, "--max-passes", "5", "--json");
        Assert.True(trained == CommandLine.Ok, trainErr);
        using (var result = JsonDocument.Parse(trainOut))
            Assert.Equal(FiveClassData.ReadOrder, result.RootElement.GetProperty("validation").GetProperty("labelNames").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal(FiveClassData.ReadOrder, global::AgNewsLsp.Training.HeadFile.Load(HeadPath).LabelNames);

        var (code, output, err) = Run("classify", FiveClassData.HealthText, "--json");
        Assert.True(code == CommandLine.Ok, err);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal("Health", doc.RootElement.GetProperty("label").GetString());
        Assert.Equal(FiveClassData.ReadOrder.Order(), doc.RootElement.GetProperty("probabilities").EnumerateObject().Select(p => p.Name).Order());

        var (plain, text, _) = Run("classify", "A", "new", "album", "from", "the", "band", "with", "a", "guitar", "melody.");
        Assert.Equal(CommandLine.Ok, plain);
        Assert.Contains(text.Split('\t')[0], FiveClassData.Classes);

        var (evaluated, report, evalErr) = Run("evaluate", "--data", data, "--json");
        Assert.True(evaluated == CommandLine.Ok, evalErr);
        using (var r = JsonDocument.Parse(report))
            Assert.Equal(5, r.RootElement.GetProperty("confusionMatrix").GetArrayLength());
    }

    [Fact]
    public void Data_with_one_class_is_refused_before_training()
    {
        var data = _temp.File("one.csv", "text,label\nflu season,Health\nnew clinic,Health\n");
        var (code, _, err) = Run("train", "--data", data);
        Assert.Equal(CommandLine.Failed, code);
        Assert.Contains("one class only (Health)", err);
        Assert.False(File.Exists(HeadPath));
    }

    [Fact]
    public void Data_whose_rows_all_have_one_of_several_classes_is_refused_before_training()
    {
        // AG News numbers name four classes, but every row here is Sports: a head would answer Sports to everything.
        var rows = Enumerable.Range(0, 30).Select(i => $"\"2\",\"Match {i}\",\"The team won game {i} of the season.\"");
        var data = _temp.File("sports.csv", string.Join("\n", rows) + "\n");
        var (code, _, err) = Run("train", "--data", data);
        Assert.Equal(CommandLine.Failed, code);
        Assert.Contains("one class only (Sports)", err);
        Assert.False(File.Exists(HeadPath));
    }

    [Fact]
    public void Evaluating_on_classes_the_head_does_not_know_is_a_clear_error()
    {
        var data = FiveClassData.Write(_temp.Path, perClass: 12);
        Assert.Equal(CommandLine.Ok, Run("train", "--data", data, "--head-kind", "linear", "--epochs", "2").Code);
        var (code, _, err) = Run("evaluate", "--data", TestPaths.AgNewsTest, "--limit", "20");
        Assert.Equal(CommandLine.Failed, code);
        Assert.Contains("the head does not know", err);
        Assert.Contains("Sci/Tech", err);
    }
}
