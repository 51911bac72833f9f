using System.Diagnostics;
using System.Text.RegularExpressions;
using AgNewsLsp.Server.Cli;

namespace AgNewsLsp.Tests.Cli;

/// <summary>
/// Long work on a terminal shows bars with count, rate and time left, then a table of the stages; piped, the output is
/// the plain lines it always was. The terminal is a real pseudo-terminal: the program runs under script(1).
/// </summary>
public class TerminalProgressTests
{
    /// <summary>Training rows no feature cache holds (a word of this run in each), so the encoder really runs.</summary>
    private static string FreshData(TempFolder folder, int rows)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var lines = File.ReadLines(TestPaths.AgNewsTrain).Take(rows).Select(l => l.TrimEnd('"') + $" run{run}\"");
        var path = Path.Combine(folder.Path, "train.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    private static string[] TrainArgs(TempFolder folder, string data) =>
        ["train", "--data", data, "--head-kind", "linear", "--max-epochs", "3", "--out", Path.Combine(folder.Path, "head.json"),
            "--cache", TestPaths.TestCache];

    [Fact]
    public async Task Train_on_a_terminal_shows_bars_with_rate_and_time_left_then_a_table()
    {
        if (!File.Exists("/usr/bin/script")) Assert.Fail("script(1) (Debian's bsdutils) is needed to give the program a terminal");
        using var folder = new TempFolder();
        var dll = typeof(CommandLine).Assembly.Location;
        var command = string.Join(' ', new[] { "dotnet", dll }.Concat(TrainArgs(folder, FreshData(folder, 400))).Select(a => $"'{a}'"));
        var start = new ProcessStartInfo("/usr/bin/script", ["-qec", command, Path.Combine(folder.Path, "typescript")])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        };
        start.Environment["TERM"] = "xterm-256color";
        using var process = Process.Start(start)!;
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var output = await process.StandardOutput.ReadToEndAsync(limit.Token);
        await process.WaitForExitAsync(limit.Token);
        var screen = Regex.Replace(output, @"\u001b\[[0-9;?]*[A-Za-z]", ""); // the terminal's escapes, not the text
        Assert.True(process.ExitCode == 0, screen);
        Assert.True(output.Contains("\u001b[", StringComparison.Ordinal), "it drew on a terminal");
        Assert.Matches(@"features\s+\S+\s+\d+%\s+\d+/400", screen); // a bar: stage, bar, percent, count
        Assert.Matches(@"\d+(\.\d)?/s", screen); // a rate
        Assert.Matches(@"\d\d:\d\d:\d\d\s+\d\d:\d\d:\d\d", screen); // elapsed and time left
        Assert.Matches(@"stage\s+\S\s+done\s+\S\s+time\s+\S\s+rate", screen); // the summary table
        Assert.Contains("Trained a linear head", screen); // the result, as ever
    }

    [Fact]
    public void Piped_the_progress_is_plain_lines_as_before()
    {
        using var folder = new TempFolder();
        var (code, output, err) = CliRun.Run("", TrainArgs(folder, FreshData(folder, 200)));
        Assert.True(code == 0, err);
        Assert.False(err.Contains('\u001b', StringComparison.Ordinal), "no terminal escapes");
        Assert.Matches(@"(?m)^features: \d+/200 \(\d+%\)$", err);
        Assert.Matches(@"(?m)^training: 3/3 \(100%\) epoch 3: ", err);
        Assert.DoesNotContain("stage", err);
        Assert.StartsWith("Trained a linear head", output);
    }
}
