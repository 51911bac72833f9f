using System.Text.Json;
using AgNewsLsp.Engine;
using AgNewsLsp.IO;
using AgNewsLsp.Server.Wire;
using AgNewsLsp.Tests.Protocol;
using AgNewsLsp.Text;

namespace AgNewsLsp.Tests.Engine;

/// <summary>
/// A folder labelled in shards and merged is the folder labelled at once, byte for byte; a merge refuses parts that do not
/// belong together, naming the part. With the keyword fake engine (no model); the real model's run is
/// tests/protocol-node/fault/shards.test.js.
/// </summary>
public class ShardMergeTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly FakeLabelingEngine engine = new();

    public void Dispose() => temp.Dispose();

    private static readonly ShardJob Job = new()
    {
        Command = "label", Format = "csv", ModelName = "fake-minilm", ModelFingerprint = "f1", Precision = "fp32", MaxTokens = 128,
        HeadSha256 = "aa", LabelNames = ["World", "Sports", "Business", "Sci/Tech"], Unit = "document",
        Include = [FileGlobs.DefaultInclude], Exclude = [], MaxFileBytes = InputLimits.DefaultMaxTextBytes,
    };

    /// <summary>A folder with names that test the order (a folder against names that share its prefix), CSV quoting and formula
    /// escapes.</summary>
    private string Folder()
    {
        var folder = temp.Combine("docs");
        var texts = new[] { "A big match tonight.", "Stock market rally.", "New chip software.",
            "Talks at the summit.\n\nA second paragraph on the match." };
        string[] names =
        [
            "a.txt", "a-b.txt", "a/x.txt", "a/b/c.md", "a0.txt", "a.b/y.txt", "Z.txt", "=sum.txt", "-dash.txt", "+plus.md", "@at.txt",
            "'quote.txt", "comma,name.txt", "quote\"name.txt", "new\nline.txt", "sub dir/space.txt", "Ünïcode/é.txt", "日本/記事.md",
        ];
        for (var i = 0; i < names.Length; i++) File(folder, names[i], texts[i % texts.Length]);
        for (var i = 0; i < 90; i++) File(folder, $"d{i % 4}/e{i % 3}/n{i:D3}.txt", texts[i % texts.Length] + $" Number {i}.");
        File(folder, "binary.txt", "bin\0ary"); // skipped, in whichever shard its name falls
        File(folder, "short.md", "ok");
        return folder;
    }

    private static void File(string folder, string relative, string text)
    {
        var full = Path.Combine(folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        System.IO.File.WriteAllText(full, text);
    }

    private static FolderLabelRequest Request(string folder, TextUnit unit, Shard? shard = null) =>
        new(folder, new FileGlobs(), unit) { Shard = shard };

    private async Task<string> Unsharded(string folder, FolderOutputFormat format, TextUnit unit)
    {
        var output = temp.Combine($"whole.{format.Name()}");
        await FolderLabeler.LabelToFileAsync(engine, Request(folder, unit), output, w => FolderRowWriters.For(format, w), null,
            CancellationToken.None);
        return output;
    }

    private async Task<List<string>> Parts(string folder, FolderOutputFormat format, TextUnit unit, int count, ShardJob? job = null,
        string name = "part")
    {
        var parts = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var output = temp.Combine($"{name}-{i}.{format.Name()}");
            await ShardRuns.LabelAsync(engine, Request(folder, unit, new Shard(i, count)), output, w => FolderRowWriters.For(format, w),
                (job ?? Job) with { Format = format.Name(), Unit = AgNewsLsp.Settings.SettingNames.Name(unit) }, "--shard", null, null,
                    CancellationToken.None);
            parts.Add(output);
        }
        return parts;
    }

    [Theory]
    [InlineData(FolderOutputFormat.Csv, TextUnit.Document, 3)]
    [InlineData(FolderOutputFormat.Jsonl, TextUnit.Document, 3)]
    [InlineData(FolderOutputFormat.Csv, TextUnit.Paragraph, 4)]
    [InlineData(FolderOutputFormat.Jsonl, TextUnit.Paragraph, 2)]
    [InlineData(FolderOutputFormat.Csv, TextUnit.Document, 1)]
    [InlineData(FolderOutputFormat.Jsonl, TextUnit.Document, 40)] // most shards hold a few files, some none
    public async Task Merged_parts_are_the_unsharded_output_byte_for_byte(FolderOutputFormat format, TextUnit unit, int count)
    {
        var folder = Folder();
        var whole = await Unsharded(folder, format, unit);
        var parts = await Parts(folder, format, unit, count);
        var merged = temp.Combine($"merged.{format.Name()}");

        var summary = await ShardMerge.MergeAsync(parts.AsEnumerable().Reverse().ToList(), merged,
            CancellationToken.None); // any order of parts

        Assert.Equal(System.IO.File.ReadAllBytes(whole), System.IO.File.ReadAllBytes(merged));
        Assert.Equal(count, summary.Shards);
        Assert.Equal(108, summary.Keys); // every file with text, once
        Assert.Equal(2, summary.Skipped); // binary.txt and short.md, each in one shard
    }

    [Fact]
    public async Task No_file_is_in_two_shards_and_every_file_is_in_one()
    {
        var folder = Folder();
        var parts = await Parts(folder, FolderOutputFormat.Jsonl, TextUnit.Document, 3);
        var files = parts.SelectMany(p =>
            System.IO.File.ReadAllLines(p).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("file").GetString()!)).ToList();
        Assert.Equal(files.Count, files.Distinct().Count());
        var whole = System.IO.File.ReadAllLines(await Unsharded(folder, FolderOutputFormat.Jsonl, TextUnit.Document))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("file").GetString()!);
        Assert.Equal(whole.Order(StringComparer.Ordinal), files.Order(StringComparer.Ordinal));
        for (var i = 0; i < 3; i++)
        {
            var manifest = ShardManifest.ReadFor(parts[i]);
            Assert.Equal((i, 3), (manifest.Index, manifest.Count));
            Assert.All(System.IO.File.ReadAllLines(parts[i]), l =>
                Assert.Equal(i, Shard.Of(JsonDocument.Parse(l).RootElement.GetProperty("file").GetString()!, 3)));
        }
    }

    [Fact]
    public async Task A_rerun_shard_writes_the_same_bytes_and_completes_the_set()
    {
        var folder = Folder();
        var parts = await Parts(folder, FolderOutputFormat.Csv, TextUnit.Document, 3);
        var before = System.IO.File.ReadAllBytes(parts[1]);
        System.IO.File.Delete(parts[1]); // a lost shard
        var merged = temp.Combine("merged.csv");
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => ShardMerge.MergeAsync(parts, merged, CancellationToken.None));
        Assert.Contains("part-1.csv", e.Message); // no such file: named
        var missing = (await Assert.ThrowsAsync<InvalidDataException>(() =>
            ShardMerge.MergeAsync([parts[0], parts[2]], merged, CancellationToken.None))).Message;
        Assert.Contains("shard 1/3 of the job is missing", missing);
        Assert.False(System.IO.File.Exists(merged));

        await ShardRuns.LabelAsync(engine, Request(folder, TextUnit.Document, new Shard(1, 3)), parts[1], w => new FolderCsvWriter(w), Job,
            "--shard", null, null, CancellationToken.None);
        await ShardMerge.MergeAsync(parts, merged, CancellationToken.None);

        Assert.Equal(before, System.IO.File.ReadAllBytes(parts[1]));
        Assert.Equal(System.IO.File.ReadAllBytes(await Unsharded(folder, FolderOutputFormat.Csv, TextUnit.Document)),
            System.IO.File.ReadAllBytes(merged));
    }

    /// <summary>Merges and expects a refusal, with the old output left as it was and no temp file beside it.</summary>
    private async Task<string> Refused(IReadOnlyList<string> parts, string? output = null)
    {
        output ??= temp.Combine("out/merged.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        System.IO.File.WriteAllText(output, "the previous merge");
        var e = await Assert.ThrowsAnyAsync<Exception>(() => ShardMerge.MergeAsync(parts, output, CancellationToken.None));
        Assert.True(e is InvalidDataException or ArgumentException or IOException, e.ToString());
        Assert.Equal("the previous merge", System.IO.File.ReadAllText(output));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(output)!, $".{Path.GetFileName(output)}.*"));
        return e.Message;
    }

    [Fact]
    public async Task Parts_made_by_another_head_or_model_are_refused_naming_the_part()
    {
        var folder = Folder();
        var parts = await Parts(folder, FolderOutputFormat.Csv, TextUnit.Document, 3);
        var otherHead = await Parts(folder, FolderOutputFormat.Csv, TextUnit.Document, 3, Job with { HeadSha256 = "bb" }, "head");
        var otherModel = await Parts(folder, FolderOutputFormat.Csv, TextUnit.Document, 3, Job with { ModelFingerprint = "f2" }, "model");
        var otherPrecision = await Parts(folder, FolderOutputFormat.Csv, TextUnit.Document, 3, Job with { Precision = "bf16" },
            "precision");

        var message = await Refused([parts[0], otherHead[1], parts[2]]);
        Assert.Contains("head-1.csv", message);
        Assert.Contains("different heads", message);
        Assert.Contains("\"aa\"", message);
        Assert.Contains("different models", await Refused([parts[0], parts[1], otherModel[2]]));
        Assert.Contains("--precision", await Refused([otherPrecision[0], parts[1], parts[2]]));
    }

    [Fact]
    public async Task Mixed_formats_overlapping_shards_and_mismatched_counts_are_refused()
    {
        var folder = Folder();
        var csv = await Parts(folder, FolderOutputFormat.Csv, TextUnit.Document, 3);
        var jsonl = await Parts(folder, FolderOutputFormat.Jsonl, TextUnit.Document, 3);
        var four = await Parts(folder, FolderOutputFormat.Csv, TextUnit.Document, 4, name: "four");
        var paragraphs = await Parts(folder, FolderOutputFormat.Csv, TextUnit.Paragraph, 3, name: "para");

        Assert.Contains("formats", await Refused([csv[0], jsonl[1], csv[2]]));
        Assert.Contains("settings", await Refused([csv[0], paragraphs[1], csv[2]])); // unit ("document" / "paragraph")
        Assert.Contains("both shard 1/3", await Refused([csv[0], csv[1], csv[1], csv[2]]));
        var counts = await Refused([csv[0], four[1], csv[2]]);
        Assert.Contains("four-1.csv is shard 1/4", counts);
        Assert.Contains("jsonl", await Refused(jsonl, temp.Combine("out/merged.csv"))); // --out names the other format
        Assert.Contains("one of the parts", await Refused(csv, csv[0]));
    }

    [Fact]
    public async Task A_part_changed_after_its_run_or_without_a_manifest_is_refused()
    {
        var folder = Folder();
        var parts = await Parts(folder, FolderOutputFormat.Jsonl, TextUnit.Document, 3);
        var lines = System.IO.File.ReadAllLines(parts[2]);
        System.IO.File.WriteAllLines(parts[2], lines.Take(lines.Length - 1)); // a row lost
        var message = await Refused(parts, temp.Combine("out/merged.jsonl"));
        Assert.Contains("part-2.jsonl does not match its manifest", message);
        Assert.Contains("run shard 2/3 again", message);

        System.IO.File.Delete(ShardManifest.PathFor(parts[2]));
        Assert.Contains("no manifest", await Refused(parts, temp.Combine("out/merged.jsonl")));
    }

    [Fact]
    public async Task Rows_of_another_shard_or_out_of_order_are_refused_even_with_a_matching_manifest()
    {
        var folder = Folder();
        var parts = await Parts(folder, FolderOutputFormat.Jsonl, TextUnit.Document, 3);
        // Shard 0's rows under shard 1's manifest, its digest made to match: the rows themselves say they are not shard 1's.
        Forge(parts[1], System.IO.File.ReadAllText(parts[0]));
        Assert.Contains("not 1/3", await Refused(parts, temp.Combine("out/merged.jsonl")));

        var own = await Parts(folder, FolderOutputFormat.Jsonl, TextUnit.Document, 3, name: "own");
        var rows = System.IO.File.ReadAllLines(own[1]);
        Forge(own[1], string.Concat(rows.Reverse().Select(r => r + "\n")));
        Assert.Contains("not in the order a run writes", await Refused(own, temp.Combine("out/merged.jsonl")));
    }

    /// <summary>Replaces a part's content and makes its manifest's digest match, as a careless or hostile edit could.</summary>
    private static void Forge(string part, string content)
    {
        System.IO.File.WriteAllText(part, content);
        var (bytes, sha) = DigestStream.OfFileAsync(part, CancellationToken.None).GetAwaiter().GetResult();
        (ShardManifest.ReadFor(part) with { Bytes = bytes, Sha256 = sha }).WriteFor(part);
    }

    [Theory]
    [InlineData("plain.txt", "plain.txt")]
    [InlineData("'quote.txt", "'quote.txt")]    // a name starting with ' that no formula escape explains
    [InlineData("'=sum.txt", "=sum.txt")]       // the writer's escape of =sum.txt, when =sum.txt is this shard's
    public void A_csv_file_cell_reads_back_as_the_path_the_writer_escaped(string cell, string path)
    {
        var shard = new Shard(Shard.Of(path, 5), 5);
        Assert.Equal(path, ShardMerge.CsvKey(cell, shard));
        Assert.Equal(cell, FolderCsvWriter.Text(path));
    }

    [Fact]
    public void A_csv_cell_that_reads_two_ways_is_the_file_whose_shard_the_part_is()
    {
        // "'-x.txt" is the escape of "-x.txt" and also a possible name; the part's shard tells which file it is.
        var (escaped, literal) = ("-x.txt", "'-x.txt");
        var count = Enumerable.Range(2, 50).First(n => Shard.Of(escaped, n) != Shard.Of(literal, n));
        Assert.Equal(escaped, ShardMerge.CsvKey(literal, new Shard(Shard.Of(escaped, count), count)));
        Assert.Equal(literal, ShardMerge.CsvKey(literal, new Shard(Shard.Of(literal, count), count)));
    }
}
