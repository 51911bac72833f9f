using System.Text.Json;
using AgNewsLsp.Engine;
using AgNewsLsp.Features;
using AgNewsLsp.IO;
using AgNewsLsp.Server.Cli;
using AgNewsLsp.Tests.Model;

namespace AgNewsLsp.Tests.Cli;

/// <summary>
/// --shard, --shards and label --merge on the command line: usage mistakes exit 2 before a model loads; a folder labelled in
/// shards with the real model and merged is the CSV one run writes, byte for byte; embed shards (tiny BERT) merge to one
/// run's vectors. The multi-process run over 3,000 files, with a killed shard, is tests/protocol-node/fault/shards.test.js.
/// </summary>
public class ShardCliTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run("", args);

    private static (int Code, string Out, string Err) Label(params string[] args) =>
        CliRun.Run("", [.. args, "--cache", TestPaths.TestCache, "--head", LabelingEngine.ShippedHeadPath, "--quiet"]);

    [Theory]
    [InlineData("0 to 2", "--shard", "3/3")]
    [InlineData("I/N", "--shard", "1")]
    [InlineData("I/N", "--shard", "-1/3")]
    [InlineData("disagree", "--shard", "1/3", "--shards", "2")]
    [InlineData("shard count", "--shards", "0")]
    public void A_malformed_shard_exits_2_with_the_reason(string reason, params string[] options)
    {
        var (code, _, err) = Run(["label", temp.Path, "--recursive", "--out", temp.Combine("part.csv"), "--model", "/no/such/model",
            .. options]);
        Assert.Equal(CommandLine.Usage, code);
        Assert.Contains(reason, err);
    }

    [Fact]
    public void Shard_mistakes_exit_2_before_the_model_loads()
    {
        var folder = temp.Path;
        string[] noModel = ["--model", "/no/such/model"];
        (string Reason, string[] Args)[] cases =
        [
            ("--out FILE", ["label", folder, "--recursive", "--format", "csv", "--shard", "0/2", .. noModel]),
            ("for labelling a folder", ["label", temp.File("a.txt", "A match."), "--shard", "0/2", .. noModel]),
            ("I/N", ["embed", temp.File("b.txt", "A match."), "--out", temp.Combine("v.npy"), "--shard", "2", .. noModel]),
            ("needs the parts", ["label", "--merge", "--out", temp.Combine("m.csv")]),
            ("needs --out", ["label", "--merge", temp.Combine("p0.csv")]),
            ("--recursive is for the runs", ["label", "--merge", temp.Combine("p0.csv"), "--recursive", "--out", temp.Combine("m.csv")]),
        ];
        foreach (var (reason, args) in cases)
        {
            var (code, _, err) = Run(args);
            Assert.True(code == CommandLine.Usage, $"{string.Join(' ', args)}: {code} {err}");
            Assert.Contains(reason, err);
        }
    }

    [Fact]
    public void The_environment_chooses_the_shard_only_with_shards_and_a_part_needs_a_file()
    {
        var env = new Dictionary<string, string> { [Shard.KubernetesIndex] = "1" };
        Assert.Null(CommandLine.ShardOption(null, null, null, env));
        Assert.Equal((new Shard(1, 3), Shard.KubernetesIndex), CommandLine.ShardOption(null, "3", temp.Combine("p.csv"), env));
        Assert.Contains("--out FILE", Assert.Throws<UsageException>(() => CommandLine.ShardOption(null, "3", null, env)).Message);
        Assert.Contains("not a FIFO or device",
            Assert.Throws<UsageException>(() => CommandLine.ShardOption("0/3", null, "/dev/null", env)).Message);
        Assert.Contains(Shard.SlurmTaskId,
            Assert.Throws<UsageException>(() => CommandLine.ShardOption(null, "3", "p.csv", new Dictionary<string, string>())).Message);
    }

    [Fact]
    public void A_folder_labelled_in_three_shards_with_the_model_merges_to_the_csv_of_one_run()
    {
        var folder = temp.Combine("news");
        string[] texts =
        [
            "The striker scored twice as the home team won the league match.", "Shares of the bank fell after lower quarterly profits.",
            "Scientists launched a space telescope to study distant planets.", "Rebels and troops agreed to a ceasefire after talks.",
        ];
        for (var i = 0; i < 48; i++)
            temp.File($"news/{(i % 3 == 0 ? "" : $"desk-{i % 4}/")}story-{i:D2}.{(i % 5 == 0 ? "md" : "txt")}",
                $"{texts[i % 4]}\n\nReport {i}, filed late.");
        temp.File("news/=formula.txt", texts[0]);
        var whole = temp.Combine("whole.csv");
        var (code, _, err) = Label("label", folder, "--recursive", "--paragraphs", "--out", whole);
        Assert.True(code == CommandLine.Ok, err);

        var parts = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            parts.Add(temp.Combine($"part-{i}.csv"));
            var (partCode, summary, partErr) = Label("label", folder, "--recursive", "--paragraphs", "--shard", $"{i}/3", "--out", parts[i],
                "--json");
            Assert.True(partCode == CommandLine.Ok, partErr);
            using var json = JsonDocument.Parse(summary);
            Assert.Equal($"{i}/3", json.RootElement.GetProperty("shard").GetString());
            Assert.Equal(ShardManifest.PathFor(parts[i]), json.RootElement.GetProperty("manifest").GetString());
        }
        var merged = temp.Combine("merged.csv");
        var (mergeCode, mergeOut, mergeErr) = Run("label", "--merge", parts[2], parts[0], parts[1], "--out", merged);
        Assert.True(mergeCode == CommandLine.Ok, mergeErr);
        Assert.Contains("Merged 3 shards", mergeOut);

        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(merged));
        var header = File.ReadAllLines(whole)[0];
        Assert.Equal(1, File.ReadAllLines(merged).Count(l => l == header));
        Assert.Equal(49, ShardManifest.ReadFor(parts[0]).Keys + ShardManifest.ReadFor(parts[1]).Keys
            + ShardManifest.ReadFor(parts[2]).Keys);

        // A part made with another head is refused, by name, exit 1.
        var otherHead = temp.Combine("other.head.json");
        File.WriteAllText(otherHead, File.ReadAllText(LabelingEngine.ShippedHeadPath).Replace("\"seed\":", "\"seed\" :"));
        var otherPart = temp.Combine("other-1.csv");
        (code, _, err) = CliRun.Run("", "label", folder, "--recursive", "--paragraphs", "--shard", "1/3", "--out", otherPart,
            "--cache", TestPaths.TestCache, "--head", otherHead, "--quiet");
        Assert.True(code == CommandLine.Ok, err);
        (code, _, err) = Run("label", "--merge", parts[0], otherPart, parts[2], "--out", temp.Combine("refused.csv"));
        Assert.Equal(CommandLine.Failed, code);
        Assert.Contains("different heads", err);
        Assert.Contains("other-1.csv", err);
        Assert.False(File.Exists(temp.Combine("refused.csv")));
    }

    [Theory]
    [InlineData("parquet")]
    [InlineData("npy")]
    public void Embed_shards_merge_to_the_vectors_of_one_run(string format)
    {
        var model = TinyBertParityTests.Folder("legacy");
        var cache = temp.Combine("cache");
        var data = temp.Combine("train.csv");
        File.WriteAllLines(data, File.ReadLines(TestPaths.AgNewsTrain).Take(50));
        string[] common = ["--model", model, "--cache", cache, "--precision", "fp32", "--pooling", "mean", "--quiet"];
        // Shards first, then the whole run: it reads the vectors the shards put in the feature cache (a text's features are
        // cached by its content), so the two agree to the bit whatever batches computed them.
        var parts = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            parts.Add(temp.Combine($"part-{i}.{format}"));
            var (code, _, err) = Run(["embed", data, "--out", parts[i], "--shard", $"{i}/3", .. common]);
            Assert.True(code == CommandLine.Ok, err);
        }
        var whole = temp.Combine($"whole.{format}");
        var (wholeCode, _, wholeErr) = Run(["embed", data, "--out", whole, .. common]);
        Assert.True(wholeCode == CommandLine.Ok, wholeErr);
        var merged = temp.Combine($"merged.{format}");
        var (mergeCode, mergeOut, mergeErr) = Run("label", "--merge", parts[1], parts[2], parts[0], "--out", merged);
        Assert.True(mergeCode == CommandLine.Ok, mergeErr);
        Assert.Contains("50 rows of 50 vectors", mergeOut);

        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(merged));
        if (format == "npy")
            Assert.Equal(File.ReadAllBytes(EmbeddingWriter.IdsPathFor(whole)), File.ReadAllBytes(EmbeddingWriter.IdsPathFor(merged)));
        var ids = Enumerable.Range(0, 3).SelectMany(i => PartIds(parts[i])).ToList();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), ids.Order()); // each row in one shard

        // Another pooling is another job.
        var cls = temp.Combine($"cls-0.{format}");
        var (clsCode, _, clsErr) = Run(["embed", data, "--out", cls, "--shard", "0/3", .. common[..^3], "--pooling", "cls", "--quiet"]);
        Assert.True(clsCode == CommandLine.Ok, clsErr);
        var (refused, _, why) = Run("label", "--merge", cls, parts[1], parts[2], "--out", temp.Combine($"refused.{format}"));
        Assert.Equal(CommandLine.Failed, refused);
        Assert.Contains("pooling", why);
    }

    private static IEnumerable<long> PartIds(string part) => part.EndsWith(".npy", StringComparison.Ordinal)
        ? File.ReadAllLines(EmbeddingWriter.IdsPathFor(part)).Skip(1).Select(l => long.Parse(l.Split('\t')[1]))
        : Parquet.Serialization.ParquetSerializer
            .DeserializeAsync<AgNewsLsp.Tests.Engine.TinyBertEngineTests.ParquetRow>(File.OpenRead(part))
            .GetAwaiter().GetResult().Data.Select(r => r.id);
}
