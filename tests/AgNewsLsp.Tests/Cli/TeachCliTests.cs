using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgNewsLsp.Server.Cli;
using AgNewsLsp.Teaching;
using AgNewsLsp.Tests.Engine;

namespace AgNewsLsp.Tests.Cli;

/// <summary>
/// Teaching from the terminal: agnews suggest (what to label next), agnews label showing the user's labels as theirs,
/// and agnews teach, driven key by key through a real pseudo-terminal (script(1)), or refused without one.
/// </summary>
[Collection(TrainedEngineCollection.Name)]
public class TeachCliTests(TrainedEngineFixture fixture)
{
    private const string NotesA = """
        The striker scored twice as the home side won the cup final in front of a record crowd.

        Shares of the chip maker rose after it reported strong demand for its new processors.

        The minister resigned after protests over the new election law spread to the capital.
        """;

    private const string NotesB = """
        Oil prices climbed as investors worried about supplies from the Middle East.

        The company said its new phone would ship with a faster processor and a better camera.

        The coach praised his players after a narrow win in the league on Sunday night.
        """;

    /// <summary>A folder of notes with a .git, so that no dataset above the temp folder is ever found.</summary>
    private static TempFolder Notes()
    {
        var folder = new TempFolder();
        Directory.CreateDirectory(folder.Combine(".git"));
        folder.File("notes/a.md", NotesA);
        folder.File("notes/b.txt", NotesB);
        return folder;
    }

    private (int Code, string Out, string Err) Run(params string[] args) =>
        CliRun.Run("", [.. args, "--cache", TestPaths.TestCache, "--head", fixture.HeadPath]);

    private static void Label(string dataset, string text, string label) =>
        CorrectionsFile.Add(dataset, new Correction(text, label, null, DateTimeOffset.UtcNow));

    private static string Paragraph(string notes, int i) => notes.Split("\n\n")[i].Trim();

    [Fact]
    public void Suggest_lists_the_least_sure_paragraphs_first_and_leaves_out_the_users_labels()
    {
        using var folder = Notes();
        var dataset = folder.Combine("mine.jsonl");
        Label(dataset, Paragraph(NotesA, 1), "Business");
        var (code, output, err) = Run("suggest", folder.Combine("notes"), "--dataset", dataset, "--json");
        Assert.True(code == 0, err);
        Assert.Contains("1 label of yours from", err);
        var suggestions = JsonDocument.Parse(output).RootElement.GetProperty("suggestions").EnumerateArray().ToList();
        Assert.Equal(5, suggestions.Count); // six paragraphs, one labelled by the user
        Assert.DoesNotContain(suggestions, s => s.GetProperty("text").GetString() == Paragraph(NotesA, 1));
        var margins = suggestions.Select(s => s.GetProperty("margin").GetDouble()).ToList();
        Assert.Equal(margins.Order(), margins);
        var b = suggestions.Single(s => s.GetProperty("text").GetString() == Paragraph(NotesB, 2));
        Assert.Equal(new Uri(folder.Combine("notes/b.txt")).AbsoluteUri, b.GetProperty("uri").GetString());
        Assert.Equal((4, 0, 4, Paragraph(NotesB, 2).Length), (b.GetProperty("range").GetProperty("start").GetProperty("line").GetInt32(),
            b.GetProperty("range").GetProperty("start").GetProperty("character").GetInt32(), b.GetProperty("range").GetProperty("end").GetProperty("line").GetInt32(),
            b.GetProperty("range").GetProperty("end").GetProperty("character").GetInt32()));

        (code, output, err) = Run("suggest", folder.Combine("notes"), "--dataset", dataset, "--max", "2");
        Assert.True(code == 0, err);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"^\S+notes/(a\.md|b\.txt):\d\t\S+ \d+\.\d%\tmargin \d\.\d{3}\t\S", lines[0]); // file:line, guess, margin, preview
        Assert.Contains("2 of 6 paragraphs, least sure first", err);
    }

    [Fact]
    public void Label_shows_the_users_labels_as_theirs_from_the_nearest_dataset_unless_told_not_to()
    {
        using var folder = Notes();
        var file = folder.Combine("notes/a.md");
        // The head would say Business or Sci/Tech; the user said World. The default dataset: .agnews/labels.jsonl above the file.
        Label(folder.Combine(".agnews/labels.jsonl"), Paragraph(NotesA, 1), "World");
        var (code, output, err) = Run("label", file, "--paragraphs");
        Assert.True(code == 0, err);
        Assert.Contains("\tWorld (labelled by you)\tShares of the chip maker", output);
        Assert.DoesNotContain("Sports (labelled by you)", output);

        (code, output, err) = Run("label", file, "--paragraphs", "--json");
        Assert.True(code == 0, err);
        var paragraphs = JsonDocument.Parse(output).RootElement[0].GetProperty("paragraphs").EnumerateArray().ToList();
        Assert.Equal([false, true, false], paragraphs.Select(p => p.GetProperty("prediction").GetProperty("byUser").GetBoolean()));
        Assert.Equal("World", paragraphs[1].GetProperty("prediction").GetProperty("label").GetString());

        (code, output, err) = Run("label", folder.Combine("notes"), "--recursive", "--paragraphs", "--format", "jsonl");
        Assert.True(code == 0, err);
        Assert.Single(output.Split('\n'), l => l.Contains("\"byUser\":true", StringComparison.Ordinal) && l.Contains("\"startLine\":3", StringComparison.Ordinal));

        (code, output, err) = Run("label", file, "--paragraphs", "--no-dataset");
        Assert.True(code == 0, err);
        Assert.DoesNotContain("labelled by you", output);

        (code, _, err) = Run("label", file, "--dataset", folder.Combine("none.jsonl"));
        Assert.Equal(1, code);
        Assert.Contains("none.jsonl", err);
    }

    [Fact]
    public void Teach_without_a_terminal_is_refused_with_a_clear_error()
    {
        using var folder = Notes();
        var (code, _, err) = Run("teach", folder.Combine("notes"), "--dataset", folder.Combine("mine.jsonl"));
        Assert.Equal(2, code);
        Assert.Contains("teach needs a terminal", err);
        Assert.False(File.Exists(folder.Combine("mine.jsonl")));
        (code, _, err) = Run("teach", folder.Combine("notes"), "--data", TestPaths.AgNewsTrain);
        Assert.Equal(2, code);
        Assert.Contains("give --out HEAD.json too", err);
    }

    /// <summary>
    /// The flow a person has at a terminal: accept a guess (Enter), pick a class (2), name a new class (n, a name, Enter),
    /// take it back (u), name it again, skip one (s), quit (q). The dataset has the answers as they were given, the screen
    /// the summary with the new class called weak.
    /// </summary>
    [Fact]
    public async Task Teach_under_a_pseudo_terminal_takes_one_key_a_paragraph_and_writes_the_dataset_as_it_goes()
    {
        if (!File.Exists("/usr/bin/script")) Assert.Fail("script(1) (Debian's bsdutils) is needed to give the program a terminal");
        using var folder = Notes();
        var dataset = folder.Combine("mine.jsonl");
        string[] args = ["dotnet", typeof(CommandLine).Assembly.Location, "teach", folder.Combine("notes"), "--dataset", dataset,
            "--head", fixture.HeadPath, "--cache", TestPaths.TestCache];
        var start = new ProcessStartInfo("/usr/bin/script", ["-qec", string.Join(' ', args.Select(a => $"'{a}'")), "/dev/null"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        };
        start.Environment["TERM"] = "xterm-256color";
        using var process = Process.Start(start)!;
        var raw = new StringBuilder();
        var reading = Task.Run(async () =>
        {
            var buffer = new char[4096];
            int n;
            while ((n = await process.StandardOutput.ReadAsync(buffer)) > 0)
                lock (raw) raw.Append(buffer, 0, n);
        });
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        string Screen()
        {
            lock (raw) return Regex.Replace(raw.ToString(), @"\u001b(\[[0-9;?]*[A-Za-z]|[=>])", ""); // the terminal's escapes, not the text
        }
        int Shown() => Regex.Matches(Screen(), "· q quit").Count; // paragraphs drawn so far
        async Task WaitFor(Func<string, bool> ready, string what)
        {
            while (!ready(Screen()))
            {
                if (limit.IsCancellationRequested || process.HasExited) Assert.Fail($"waiting for {what}; the screen:\n{Screen()}");
                await Task.Delay(50);
            }
        }
        async Task Press(string keys, Func<string, bool> ready, string what)
        {
            await process.StandardInput.WriteAsync(keys);
            await process.StandardInput.FlushAsync();
            await WaitFor(ready, what);
        }

        await WaitFor(_ => Shown() == 1, "the first paragraph");
        var guess = Regex.Match(Screen(), @"(\S+)\s+[█░]{10}\s+[\d.]+%\s+← guess").Groups[1].Value;
        await Press("\r", _ => Shown() == 2, "the second paragraph after Enter");
        await Press("2", _ => Shown() == 3, "the third paragraph after 2");
        await Press("n", s => s.Contains("New class name"), "the new class prompt");
        await Press("Culture\r", s => Shown() == 4 && s.Contains("Culture is a new class with 1 example"), "the fourth paragraph after a new class");
        await Press("u", s => Shown() == 5 && s.Contains("Took back Culture for"), "the third paragraph again after u");
        await Press("n", s => Regex.Matches(s, "New class name").Count == 2, "the new class prompt again");
        await Press("Culture\r", _ => Shown() == 6, "the fourth paragraph again");
        await Press("s", s => Shown() == 7 && s.Contains("Skipped"), "the fifth paragraph after s");
        await process.StandardInput.WriteAsync("q");
        await process.StandardInput.FlushAsync();
        await process.WaitForExitAsync(limit.Token);
        await reading;

        var screen = Regex.Replace(Screen(), @"\s+", " "); // the summary is wrapped to the terminal's width
        Assert.True(process.ExitCode == 0, screen);
        var rows = File.ReadAllLines(dataset).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([guess, "Sports", "Culture"], rows.Select(r => r.GetProperty("label").GetString()));
        var texts = rows.Select(r => r.GetProperty("text").GetString()!).ToList();
        Assert.Equal(3, texts.Distinct().Count());
        Assert.All(texts, t => Assert.Contains(t, NotesA + NotesB));
        Assert.All(rows, r => Assert.StartsWith(new Uri(folder.Combine("notes")).AbsoluteUri + "/", r.GetProperty("source").GetProperty("uri").GetString()));
        Assert.Matches(@"Labelled 3 paragraphs \(\d guess(es)? accepted, \d changed\), skipped 1; 2 not answered yet\.", screen);
        Assert.Contains("New class Culture: 1 example; few examples make it weak", screen);
        Assert.Contains($"Your labels: {dataset} (3 rows)", screen);
    }
}
