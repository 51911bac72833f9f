using AgNewsLsp.Data;
using AgNewsLsp.Engine;
using AgNewsLsp.IO;
using AgNewsLsp.Settings;
using AgNewsLsp.Teaching;
using AgNewsLsp.Server.Wire;
using Spectre.Console;

namespace AgNewsLsp.Server.Cli;

/// <summary>
/// Teaching from the terminal: the user's labels (a corrections dataset, as the editor writes them) applied by label and
/// suggest, <c>agnews suggest</c> (what to label next) and <c>agnews teach</c> (label one paragraph at a time, one key each).
/// </summary>
public sealed partial class CommandLine
{
    /// <summary>
    /// The user's dataset for a command over <paramref name="inputs"/>: --dataset, else the nearest one above the inputs
    /// (<see cref="CorrectionsFile.FindFor"/>); null with --no-dataset, or when reading and there is none.
    /// A --dataset named for reading must exist.
    /// </summary>
    private static string? DatasetOf(CommandInput a, IReadOnlyList<string> inputs, bool forWriting)
    {
        if (a.Flag("no-dataset"))
            return a.Given("dataset") ? throw new UsageException("--dataset and --no-dataset contradict each other.") : null;
        if (a.Value("dataset") is { } given)
        {
            if (InputFiles.KindOf(given) == FileKind.Directory)
                throw new UsageException($"--dataset names a file (JSONL), not the folder {given}.");
            if (!forWriting) InputFiles.EnsureRegularFile(given);
            return Path.GetFullPath(given);
        }
        var (path, found) = CorrectionsFile.FindFor(inputs, Environment.CurrentDirectory);
        return found || forWriting ? path : null;
    }

    /// <summary>The engine with the user's labels of <paramref name="dataset"/> learnt (none: the head alone).</summary>
    private TaughtEngine Taught(LabelingEngine engine, string? dataset, CommandInput a, CancellationToken ct)
    {
        var taught = new TaughtEngine(engine);
        if (dataset is null) return taught;
        try
        {
            var loaded = taught.Teacher.Load(dataset, ct);
            if (loaded.Warning is not null) stderr.WriteLine($"agnews: {loaded.Warning}");
            if (loaded.Corrections > 0 && !a.Flag("quiet"))
                stderr.WriteLine($"agnews: {loaded.Corrections} label{(loaded.Corrections == 1 ? "" : "s")} of yours from {dataset}");
            return taught;
        }
        catch
        {
            taught.Dispose();
            throw;
        }
    }

    private async Task<int> SuggestAsync(CommandInput a, CancellationToken ct)
    {
        if (a.Positionals.Count == 0) throw new UsageException("suggest needs one or more files or folders.");
        int max = a.Int("max", 1) ?? 20;
        var dataset = DatasetOf(a, a.Positionals, forWriting: false);
        var candidates = await Candidates.FromDiskAsync(a.Positionals, engineOptions.MaxTextBytes, ct);
        if (candidates.Count == 0)
        {
            if (a.Flag("json")) WriteJson(new SuggestResult([]));
            else if (!a.Flag("quiet")) stderr.WriteLine("agnews: no paragraph with enough text to label.");
            return Ok;
        }
        using var engine = Taught(await OpenEngineAsync(a, ct), dataset, a, ct);
        var ranked = engine.Teacher.Suggest(candidates.Select(c => c.Text).ToList(), max, ct);
        if (a.Flag("json"))
        {
            WriteJson(new SuggestResult(ranked.Select(s =>
            {
                var c = candidates[s.Index];
                var range = new Wire.Range(new Position(c.Block.StartLine, c.StartColumn), new Position(c.Block.EndLine, c.EndColumn));
                return new SuggestionDto(c.Source.Uri, range, c.Text, PredictionDto.From(s.Prediction), Math.Round(s.Margin, 6));
            }).ToList()));
            return Ok;
        }
        foreach (var s in ranked)
        {
            var c = candidates[s.Index];
            var lines = c.Block.StartLine == c.Block.EndLine
                ? $"{c.Block.StartLine + 1}"
                : $"{c.Block.StartLine + 1}-{c.Block.EndLine + 1}";
            var p = s.Prediction;
            stdout.WriteLine($"{c.File}:{lines}\t{p.Label} {p.Probabilities[p.LabelIndex] * 100:F1}%\tmargin {s.Margin:F3}\t{Preview(c.Text)}");
        }
        if (!a.Flag("quiet"))
            stderr.WriteLine($"agnews: {ranked.Count} of {candidates.Count} paragraphs{(candidates.Count >= Candidates.MaxCandidates ? " (the first ones)" : "")}, " +
                             $"least sure first{(ranked.Count < Math.Min(max, candidates.Count) ? "; the rest are near-duplicates or labelled by you" : "")}.");
        return Ok;
    }

    /// <summary>
    /// agnews teach: one paragraph at a time, the least sure first, one key each (<see cref="TeachSession"/> decides what a
    /// key does; this draws and reads the terminal). Needs a terminal: it reads single keys.
    /// </summary>
    private async Task<int> TeachAsync(CommandInput a, CancellationToken ct)
    {
        if (a.Positionals.Count == 0) throw new UsageException("teach needs one or more files or folders.");
        if (a.Flag("json"))
            throw new UsageException("teach is interactive and has no --json; agnews suggest --json lists what it would show.");
        if (a.Values("data").Count > 0 && a.Value("out") is null)
            throw new UsageException("--data is what --out's head learns from besides your labels; give --out HEAD.json too.");
        if (Console.IsInputRedirected || Console.IsOutputRedirected
            || !ReferenceEquals(stdin, Console.In) || !ReferenceEquals(stdout, Console.Out))
            throw new UsageException("teach needs a terminal: it reads one key at a time, and standard input or output is not one. " +
                                     "Without a terminal, agnews suggest lists the paragraphs to label, and the editor's code actions label them.");
        var headOut = a.Value("out");
        if (headOut is not null) OutputPath.Resolve(headOut);
        foreach (var path in a.Values("data")) DataLocator.Resolve(path, "train"); // a missing file is reported before any answer
        var dataset = DatasetOf(a, a.Positionals, forWriting: true)!;
        var paragraphs = await Candidates.FromDiskAsync(a.Positionals, engineOptions.MaxTextBytes, ct);
        if (paragraphs.Count == 0)
            throw new InvalidDataException("No paragraph with enough text to label in " + string.Join(", ", a.Positionals) + ".");

        using var engine = Taught(await OpenEngineAsync(a, ct), dataset, a, ct);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout), Ansi = AnsiSupport.Detect,
            Interactive = InteractionSupport.Yes, ColorSystem = ColorSystemSupport.Detect,
        });
        console.MarkupLine($"Labelling {paragraphs.Count} paragraph{(paragraphs.Count == 1 ? "" : "s")}; your labels go to [bold]{Markup.Escape(dataset)}[/] as you answer.");
        var session = new TeachSession(paragraphs, new TeacherTarget(engine.Teacher, dataset, ct));
        bool cancelled = false;
        TeachStep? shown = null;
        bool first = true;
        try
        {
            while (true)
            {
                if (first || !ReferenceEquals(session.Current, shown)) // a key that changed nothing does not draw the paragraph again
                {
                    if (session.Current is { } step) Show(console, step);
                    else console.MarkupLine("[green]Every paragraph is answered.[/] u takes the last answer back, q quits.");
                    (shown, first) = (session.Current, false);
                }
                var key = await ReadKeyAsync(ct);
                var teachKey = TeachKey.Of(key.Key == ConsoleKey.Enter ? '\r' : key.KeyChar, session.Current?.Classes.Count ?? 0);
                string? name = null;
                if (teachKey.Action == TeachAction.NewClass && session.Current is not null)
                {
                    console.Markup("New class name (Enter when done, Esc to cancel): ");
                    name = await ReadLineAsync(console, ct);
                }
                var outcome = session.Handle(teachKey, name);
                if (outcome.Quit) break;
                console.MarkupLine(Markup.Escape(outcome.Message));
            }
        }
        catch (OperationCanceledException)
        {
            cancelled = true; // Ctrl+C: every answer given is in the dataset already; say what they were
        }
        WriteSummary(console, session.Summary(), dataset);
        if (cancelled)
        {
            stderr.WriteLine($"agnews: cancelled; the answers given are kept in {dataset}.");
            return Cancelled;
        }
        return headOut is null ? Ok : await TrainFromLabelsAsync(a, engine, dataset, headOut, ct);
    }

    /// <summary>The paragraph (wrapped; a very long one cut), then each class with its number, bar and probability.</summary>
    private static void Show(IAnsiConsole console, TeachStep step)
    {
        const int MaxShownChars = 1500;
        console.WriteLine();
        console.Write(new Rule($"[bold]{step.Answered + 1}[/] · {step.Left} left · {Markup.Escape(TeachSession.Where(step.Paragraph))}")
            { Justification = Justify.Left });
        var text = step.Paragraph.Text;
        if (text.Length > MaxShownChars) text = text[..MaxShownChars] + $" … ({text.Length - MaxShownChars:N0} more characters)";
        console.Write(new Panel(new Spectre.Console.Text(text)) { Border = BoxBorder.Rounded, Expand = true });
        var p = step.Prediction;
        var width = p.LabelNames.Max(n => n.Length);
        for (int i = 0; i < p.LabelNames.Count; i++)
        {
            var number = i < TeachKey.DigitClasses ? $"{i + 1}" : " ";
            var cells = (int)Math.Round(p.Probabilities[i] * 10);
            var line = $" {number} {p.LabelNames[i].PadRight(width)}  {new string('█', cells)}{new string('░', 10 - cells)} {p.Probabilities[i] * 100,5:F1}%";
            console.MarkupLine(i == p.LabelIndex ? $"[bold]{Markup.Escape(line)}  ← guess[/]" : Markup.Escape(line));
        }
        var digits = Math.Min(p.LabelNames.Count, TeachKey.DigitClasses);
        console.MarkupLine($"[grey]Enter {Markup.Escape(p.Label)} · 1{(digits > 1 ? $"-{digits}" : "")} a class · n new class · s skip · u undo · q quit" +
                           (p.LabelNames.Count > TeachKey.DigitClasses ? " · a class without a number: n, then its name" : "") + "[/]");
    }

    /// <summary>One key, without echo and without Enter; waits in small steps so that Ctrl+C (a cancel) ends the wait.</summary>
    private static async Task<ConsoleKeyInfo> ReadKeyAsync(CancellationToken ct)
    {
        while (!Console.KeyAvailable) await Task.Delay(25, ct);
        return Console.ReadKey(intercept: true);
    }

    /// <summary>A short line typed key by key (echoed; Backspace edits; Esc gives null), so that Ctrl+C still cancels.</summary>
    private static async Task<string?> ReadLineAsync(IAnsiConsole console, CancellationToken ct)
    {
        const int MaxChars = 100;
        var line = new System.Text.StringBuilder();
        while (true)
        {
            var key = await ReadKeyAsync(ct);
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    console.WriteLine();
                    return line.ToString();
                case ConsoleKey.Escape:
                    console.WriteLine();
                    return null;
                case ConsoleKey.Backspace when line.Length > 0:
                    line.Length--;
                    console.Write("\b \b");
                    break;
                default:
                    if (!char.IsControl(key.KeyChar) && line.Length < MaxChars)
                    {
                        line.Append(key.KeyChar);
                        console.Write(key.KeyChar.ToString());
                    }
                    break;
            }
        }
    }

    private static void WriteSummary(IAnsiConsole console, TeachSummary s, string dataset)
    {
        console.WriteLine();
        var changed = s.Labelled - s.Accepted;
        console.MarkupLine(Markup.Escape($"Labelled {s.Labelled} paragraph{(s.Labelled == 1 ? "" : "s")} ({s.Accepted} guess{(s.Accepted == 1 ? "" : "es")} accepted, " +
                                         $"{changed} changed), skipped {s.Skipped}; {s.NotSeen} not answered yet."));
        var width = s.ByLabel.Select(x => x.Label.Length).DefaultIfEmpty(0).Max();
        foreach (var (label, count) in s.ByLabel) console.MarkupLine(Markup.Escape($"  {label.PadRight(width)}  {count,4}"));
        foreach (var c in s.NewClasses)
            console.MarkupLine(Markup.Escape($"New class {c.Label}: {TeachSession.Examples(c.Examples)}" +
                (c.Weak ? $"; few examples make it weak: label about {TeachingSettings.FewExamples} before trusting it." : ".")));
        var rows = File.Exists(dataset) ? CorrectionsFile.Read(dataset).Rows.Count : 0;
        console.MarkupLine(Markup.Escape($"Your labels: {dataset} ({rows} row{(rows == 1 ? "" : "s")}). agnews label and agnews suggest apply them, " +
                                         "an editor's server reads them when it starts, and agnews train --data reads them like any labelled data."));
    }

    /// <summary>
    /// teach --out: a head of the default kind trained on the user's labels (and --data), saved to the file named; the
    /// engine's own head file is not touched. The labels stay in the dataset whatever happens here.
    /// </summary>
    private async Task<int> TrainFromLabelsAsync(CommandInput a, TaughtEngine engine, string dataset, string headOut, CancellationToken ct)
    {
        if (!File.Exists(dataset) || CorrectionsFile.Read(dataset).Rows.Count == 0)
        {
            stderr.WriteLine($"agnews: no labels in {dataset} to train on; no head saved.");
            return Failed;
        }
        var data = a.Values("data").Append(dataset).ToList();
        stdout.WriteLine($"Training a {HeadKinds.Default.Name()} head on {string.Join(" + ", data)} for {headOut}.");
        try
        {
            await using var display = ProgressDisplay.For(a, stderr, bars: true);
            var result = await engine.TrainAsync(new TrainRequest(data, OutputHeadPath: Path.GetFullPath(headOut)), display.Progress, ct);
            await display.DoneAsync();
            stdout.WriteLine($"Saved {result.HeadPath}: a {HeadKinds.Name(result.HeadKind)} head on {result.TrainCount} texts ({result.ValidationCount} held out), " +
                             $"validation accuracy {result.Validation.Accuracy:P1}. Use it with --head {ShellWord(result.HeadPath)}.");
            return Ok;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidDataException)
        {
            stderr.WriteLine($"agnews: no head saved: {e.Message.TrimEnd('.')}. Your labels are kept in {dataset}.");
            return Failed;
        }
    }
}
