using System.Diagnostics;
using System.Text.Json;
using AgNewsLsp.Engine;
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
    public async Task Out_through_a_fifo_is_written_through_a_link_to_its_file_and_a_folder_is_refused()
    {
        using var folder = new TempFolder();
        File.WriteAllText(Path.Combine(folder.Path, "a.txt"), "The striker scored twice as the home team won the cup final.");
        using var outs = new TempFolder();
        var fifo = Path.Combine(outs.Path, "rows.csv");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo)!) mkfifo.WaitForExit();
        var read = Task.Run(() => File.ReadAllText(fifo));
        var (code, _, err) = Run("label", folder.Path, "--recursive", "--format", "csv", "--out", fifo, "--quiet");
        Assert.True(code == CommandLine.Ok, err);
        Assert.Contains("a.txt", await read);
        Assert.Equal(AgNewsLsp.IO.UnixFileType.Fifo, AgNewsLsp.IO.InputFiles.TypeOf(fifo)); // not replaced by a file

        var target = Path.Combine(outs.Path, "real.csv");
        File.WriteAllText(target, "old");
        var link = Path.Combine(outs.Path, "link.csv");
        File.CreateSymbolicLink(link, target);
        (code, _, err) = Run("label", folder.Path, "--recursive", "--out", link, "--quiet");
        Assert.True(code == CommandLine.Ok, err);
        Assert.Contains("a.txt", File.ReadAllText(target));
        Assert.NotNull(new FileInfo(link).LinkTarget);

        (code, _, err) = Run("label", folder.Path, "--recursive", "--format", "csv", "--out", outs.Path, "--quiet");
        Assert.Equal(CommandLine.Failed, code);
        Assert.Contains("is a folder", err);
    }

    [Fact]
    public void A_missing_folder_exits_1()
    {
        var (code, _, stderr) = Run("label", "/definitely/not/here", "--recursive", "--format", "csv");
        Assert.Equal(CommandLine.Failed, code);
        Assert.Contains("/definitely/not/here", stderr);
    }
}
