using System.Diagnostics;
using System.Text.Json;
using AgNewsLsp.Engine;
using AgNewsLsp.IO;
using AgNewsLsp.Server.Cli;
using Xunit.Abstractions;

namespace AgNewsLsp.Tests.Cli;

/// <summary>agnews label DIR --recursive with the real embedded engine and the shipped head.</summary>
public class LabelFolderCliTests(ITestOutputHelper output)
{
    private static (int Code, string Out, string Err) Run(params string[] args) =>
        CliRun.Run("", [.. args, "--cache", TestPaths.TestCache, "--head", LabelingEngine.ShippedHeadPath]);

    private static readonly string[][] Templates =
    [
        ["The prime minister met foreign leaders in Geneva for peace talks on the border war.",
         "Rebels and government troops agreed to a ceasefire after the United Nations called for elections."],
        ["The striker scored twice as the home team won the league match in the final minute.",
         "The tennis champion beat her rival in straight sets to reach the Wimbledon final."],
        ["Shares of the bank fell after it reported lower quarterly profits and cut its dividend.",
         "Oil prices rose on Wall Street as investors worried about the economy and interest rates."],
        ["Microsoft released new software to fix a security flaw in its Windows operating system.",
         "Scientists at NASA launched a space telescope to study distant planets and galaxies."],
    ];

    [Fact]
    public void Two_thousand_files_are_labelled_into_a_csv_with_the_summary_counted()
    {
        using var folder = new TempFolder();
        const int files = 2000;
        for (var i = 0; i < files; i++)
        {
            var topic = i % 4;
            folder.File($"part-{i % 20:D2}/item-{i:D4}.{(i % 5 == 0 ? "md" : "txt")}", $"{Templates[topic][i / 4 % 2]} Report {i}.");
        }
        for (var i = 0; i < 50; i++) folder.File($"drafts/draft-{i}.txt", "An unfinished draft about the stock market."); // excluded
        for (var i = 0; i < 30; i++) folder.File($"part-{i % 20:D2}/data-{i}.{(i % 2 == 0 ? "csv" : "json")}", "1,2,3"); // not matched
        File.WriteAllBytes(folder.Combine("part-00/zz-image.txt"), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D]);
        using var outFolder = new TempFolder();
        var csv = outFolder.Combine("labels.csv");

        var clock = Stopwatch.StartNew();
        var (code, stdout, stderr) = Run("label", folder.Path, "--recursive", "--exclude", "drafts/**", "--format", "csv", "--out", csv, "--json", "--quiet");
        clock.Stop();
        Assert.True(code == 0, stderr);

        using var summary = JsonDocument.Parse(stdout);
        var s = summary.RootElement;
        output.WriteLine($"2,000 files through the CLI: {clock.Elapsed.TotalSeconds:F1} s with the model load, {s.GetProperty("seconds").GetDouble():F1} s labelling");
        Assert.Equal(files + 1, s.GetProperty("filesMatched").GetInt32());
        Assert.Equal(files, s.GetProperty("filesLabeled").GetInt32());
        Assert.Equal(files, s.GetProperty("rows").GetInt64());
        Assert.Equal(1, s.GetProperty("skipped").GetInt32());
        var skipped = Assert.Single(s.GetProperty("skippedFiles").EnumerateArray());
        Assert.Equal("part-00/zz-image.txt", skipped.GetProperty("file").GetString());
        Assert.Equal(csv, s.GetProperty("output").GetString());
        var counts = s.GetProperty("labelCounts").EnumerateArray().ToDictionary(c => c.GetProperty("label").GetString()!, c => c.GetProperty("documents").GetInt32());
        Assert.Equal(["World", "Sports", "Business", "Sci/Tech"], counts.Keys);
        Assert.Equal(files, counts.Values.Sum());

        var lines = File.ReadAllLines(csv);
        Assert.Equal(files + 1, lines.Length);
        Assert.Equal("file,unit,startLine,endLine,label,probability,truncated,World,Sports,Business,Sci/Tech", lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(rows.Select(r => r[0]).Order(StringComparer.Ordinal), rows.Select(r => r[0]));
        Assert.DoesNotContain(rows, r => r[0].StartsWith("drafts/"));
        Assert.Equal(400, rows.Count(r => r[0].EndsWith(".md")));
        // The shipped head on these plain texts: each topic's files mostly get its label.
        string[] names = ["World", "Sports", "Business", "Sci/Tech"];
        var right = rows.Count(r => r[4] == names[int.Parse(r[0].Split("item-")[1][..4]) % 4]);
        Assert.True(right > files * 0.9, $"{right} of {files} files got their topic's label");
    }

    [Fact]
    public void Rows_go_to_stdout_as_jsonl_without_out_and_the_summary_to_stderr()
    {
        using var folder = new TempFolder();
        folder.File("a.txt", Templates[1][0] + "\n\n" + Templates[2][0]);
        folder.File("b/c.md", Templates[3][0]);
        var (code, stdout, stderr) = Run("label", folder.Path, "--recursive", "--paragraphs", "--format", "jsonl");
        Assert.True(code == 0, stderr);
        var rows = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["a.txt", "a.txt", "a.txt", "b/c.md", "b/c.md"], rows.Select(r => r.GetProperty("file").GetString()));
        Assert.Equal(["document", "paragraph", "paragraph", "document", "paragraph"], rows.Select(r => r.GetProperty("unit").GetString()));
        Assert.Equal(["Sports", "Business"], rows.Skip(1).Take(2).Select(r => r.GetProperty("label").GetString()));
        Assert.Contains("Labelled 2 of 2 files", stderr);
        Assert.Contains("paragraphs", stderr);
    }

    [Theory]
    [InlineData("a folder", "label", "{0}")]
    [InlineData("--format", "label", "{0}", "--recursive")]
    [InlineData("format must be one of", "label", "{0}", "--recursive", "--format", "xml")]
    [InlineData("without its", "label", "{0}", "--recursive", "--format", "csv", "--include", "*.{txt")]
    [InlineData("--recursive", "label", "{0}/a.txt", "--format", "csv")]
    [InlineData("one folder", "label", "{0}", "{0}", "--recursive", "--format", "csv")]
    public void Usage_mistakes_exit_2_with_the_reason(string reason, params string[] args)
    {
        using var folder = new TempFolder();
        folder.File("a.txt", Templates[0][0]);
        var (code, _, stderr) = Run(args.Select(a => a.Replace("{0}", folder.Path)).ToArray());
        Assert.Equal(CommandLine.Usage, code);
        Assert.Contains(reason, stderr);
    }

    [Fact]
    public void A_missing_folder_exits_1()
    {
        var (code, _, stderr) = Run("label", "/definitely/not/here", "--recursive", "--format", "csv");
        Assert.Equal(CommandLine.Failed, code);
        Assert.Contains("/definitely/not/here", stderr);
    }

    /// <summary>Issue 23, item 5: --out over a link, a FIFO, a folder or a block device (docs/security.md, "What --out does").</summary>
    [Fact]
    public void Out_through_a_link_replaces_the_file_it_names_and_keeps_the_link()
    {
        using var folder = new TempFolder();
        folder.File("a.txt", Templates[1][0]);
        using var outFolder = new TempFolder();
        var target = outFolder.File("real/labels.csv", "old");
        var link = outFolder.Combine("labels.csv");
        File.CreateSymbolicLink(link, target);

        var (code, _, stderr) = Run("label", folder.Path, "--recursive", "--out", link, "--quiet");

        Assert.True(code == 0, stderr);
        Assert.Equal(target, new FileInfo(link).LinkTarget);
        Assert.StartsWith("file,unit,", File.ReadAllText(target));
        Assert.Equal(["labels.csv"], Directory.GetFiles(outFolder.Combine("real")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Out_into_a_fifo_writes_the_rows_through_it()
    {
        using var folder = new TempFolder();
        folder.File("a.txt", Templates[1][0]);
        using var outFolder = new TempFolder();
        var fifo = outFolder.Combine("rows.csv");
        using (var mkfifo = Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        var reader = Task.Run(() => File.ReadAllText(fifo));

        var (code, _, stderr) = Run("label", folder.Path, "--recursive", "--out", fifo, "--quiet");

        Assert.True(code == 0, stderr);
        var rows = (await reader.WaitAsync(TimeSpan.FromSeconds(60))).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, rows.Length);
        Assert.StartsWith("a.txt,document,", rows[1]);
        Assert.Equal(["rows.csv"], Directory.GetFileSystemEntries(outFolder.Path).Select(Path.GetFileName));
        Assert.Equal(FileKind.Other, InputFiles.KindOf(fifo)); // still the FIFO, not a file renamed over it
    }

    [Theory]
    [InlineData("folder", "d")]
    [InlineData("block device", "b")]
    public void Out_naming_a_folder_or_a_block_device_is_refused_before_the_model_loads(string what, string kind)
    {
        using var folder = new TempFolder();
        folder.File("a.txt", Templates[1][0]);
        var target = folder.Combine("out.csv");
        if (kind == "d") Directory.CreateDirectory(target);
        else using (var mknod = Process.Start("mknod", [target, "b", "7", "0"])) mknod.WaitForExit();

        var (code, stdout, stderr) = Run("label", folder.Path, "--recursive", "--out", target, "--quiet");

        Assert.Equal(CommandLine.Failed, code);
        Assert.Contains($"{target} is a {what}", stderr);
        Assert.Equal(kind == "d", Directory.Exists(target));
        Assert.Equal(kind == "d" ? FileKind.Directory : FileKind.Other, InputFiles.KindOf(target));
        Assert.Equal("", stdout);
    }
}
