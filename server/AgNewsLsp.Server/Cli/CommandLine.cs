using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.Json;
using AgNewsLsp.Data;
using AgNewsLsp.Engine;
using AgNewsLsp.Evaluation;
using AgNewsLsp.IO;
using AgNewsLsp.Progress;
using AgNewsLsp.Settings;
using AgNewsLsp.Text;
using AgNewsLsp.Server.Options;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Server.Cli;

/// <summary>
/// The command-line front: classify, label, suggest, teach, train, evaluate, embed, model info, completion. System.CommandLine parses
/// (<see cref="CommandTree"/>); this calls the engine and prints: stdout carries results (text or --json), stderr
/// progress and errors.
/// Exit codes: 0 ok, 1 failed (bad input, missing file...), 2 usage, 130 cancelled.
/// </summary>
public sealed partial class CommandLine(TextReader stdin, TextWriter stdout, TextWriter stderr)
{
    public const int Ok = 0, Failed = 1, Usage = 2, Cancelled = 130;

    /// <summary>The language server's JSON, indented: --json prints the same shapes as the server sends.</summary>
    private static readonly JsonSerializerOptions Json = new(WireJson.Options) { WriteIndented = true };

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken) =>
        await RunAsync(args, OptionTable.ProcessEnvironment(), cancellationToken);

    internal async Task<int> RunAsync(string[] args, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var root = CommandTree.Build((command, input, ct) => RunCommandAsync(command, input, ct));
        var result = root.Parse(CommandTree.WithEngineSpellings(args));
        var output = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            EnableDefaultExceptionHandler = false, // our errors have their own exit codes, below
            ProcessTerminationTimeout = null, // Program cancels on SIGINT, SIGTERM and SIGHUP
        };
        if (args.Length == 0)
        {
            // No command: the usage, on stderr, as a usage error.
            root.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = stderr, Error = stderr });
            return Usage;
        }
        var unknown = CommandTree.UnknownOptions(result).Except(result.UnmatchedTokens).ToList();
        if (result.Errors.Count > 0 || unknown.Count > 0)
        {
            // Each problem once, and for a mistyped word the nearest command or option of the command reached.
            var words = result.Errors.Select(e => e.Message).Distinct()
                .Where(m => !(m.StartsWith("Required command", StringComparison.Ordinal) && result.UnmatchedTokens.Count > 0))
                .Concat(unknown.Select(u => $"Unknown option {u}."));
            foreach (var message in words) stderr.WriteLine($"agnews: {message}");
            foreach (var word in result.UnmatchedTokens.Concat(unknown).Distinct())
                if (CommandTree.Nearest(result, word) is { Count: > 0 } nearest)
                    stderr.WriteLine($"Did you mean {string.Join(" or ", nearest.Select(n => $"'{n}'"))}?");
            stderr.WriteLine($"Run '{HelpCommand(result)}' for usage.");
            return Usage;
        }
        try
        {
            engineOptions = CommandTree.EngineOptionsOf(result, environment);
            return await result.InvokeAsync(output, cancellationToken);
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"agnews: {e.Message}");
            stderr.WriteLine($"Run '{HelpCommand(result)}' for usage.");
            return Usage;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("agnews: cancelled; nothing was changed.");
            return Cancelled;
        }
        catch (NoHeadException e)
        {
            stderr.WriteLine($"agnews: {e.Message} Train one first: {TrainCommand(withHead: true)} (DIR: your labelled data).");
            return Failed;
        }
        catch (AgNewsLsp.Training.HeadForAnotherModelException e)
        {
            // Not into --head: that file belongs to the other model.
            stderr.WriteLine($"agnews: {e.Message} Train a head for this model ({TrainCommand(withHead: false)}) and use it instead, or load the matching model.");
            return Failed;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or DataFormatException or ArgumentException
                                       or InvalidOperationException or UnauthorizedAccessException or HttpRequestException)
        {
            stderr.WriteLine($"agnews: {e.Message}");
            return Failed;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Anything else is our bug, not the user's: still a message and an exit code, not a crash dump.
            stderr.WriteLine($"agnews: unexpected error ({e.GetType().Name}): {e.Message}");
            if (Environment.GetEnvironmentVariable("AGNEWS_DEBUG") == "1") stderr.WriteLine(e);
            return Failed;
        }
    }

    /// <summary>"agnews train --help" for the command a parse reached, "agnews --help" when none.</summary>
    private static string HelpCommand(ParseResult result)
    {
        var names = new List<string>();
        for (var command = result.CommandResult; command is { Command: not RootCommand }; command = command.Parent as CommandResult)
            names.Insert(0, command.Command.Name);
        return string.Join(' ', ["agnews", .. names, "--help"]);
    }

    private Task<int> RunCommandAsync(string command, CommandInput a, CancellationToken cancellationToken) => command switch
    {
        "classify" => ClassifyAsync(a, cancellationToken),
        "label" => LabelAsync(a, cancellationToken),
        "suggest" => SuggestAsync(a, cancellationToken),
        "teach" => TeachAsync(a, cancellationToken),
        "train" => TrainAsync(a, cancellationToken),
        "evaluate" => EvaluateAsync(a, cancellationToken),
        "model info" => ModelInfoAsync(a, cancellationToken),
        "embed" => EmbedAsync(a, cancellationToken),
        "completion" => Task.FromResult(Completion(a)),
        "serve" => throw new UsageException("serve takes its options after it: agnews serve [--stdio | --port N] [--model-path P] ..."),
        _ => throw new UsageException($"Unknown command '{command}'."),
    };

    private int Completion(CommandInput a)
    {
        stdout.WriteLine(CompletionScripts.For(a.Argument!));
        return Ok;
    }

    private ServerOptions engineOptions = new();

    /// <summary>
    /// The train command that makes a head this command will find: the same model, cache folder and (when asked) head
    /// file as given here, spelled by the option table, quoted for a POSIX shell.
    /// </summary>
    private string TrainCommand(bool withHead)
    {
        var words = new List<string> { "agnews", "train" };
        void Add(string property, string? value)
        {
            if (string.IsNullOrEmpty(value)) return;
            var row = OptionTable.Rows.Single(r => r.Property.Name == property);
            words.AddRange(["--" + (row.Spec.Aliases.FirstOrDefault() ?? row.Name), value]);
        }
        Add(nameof(ServerOptions.ModelPath), engineOptions.ModelPath);
        Add(nameof(ServerOptions.CacheFolder), engineOptions.CacheFolder);
        if (withHead) Add(nameof(ServerOptions.HeadPath), engineOptions.HeadPath);
        return string.Join(' ', words.Select(ShellWord)) + " --data DIR";
    }

    /// <summary>A word as a POSIX shell reads it back: quoted when it holds anything but plain path characters.</summary>
    private static string ShellWord(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "/._-+=:,@%".Contains(c))
            ? word
            : "'" + word.Replace("'", "'\\''") + "'";

    /// <summary>--pooling, parsed; null when not given (the engine's default).</summary>
    internal static Pooling? PoolingOption(CommandInput a)
    {
        try
        {
            return a.Value("pooling") is { } p ? Poolings.Parse(p) : null;
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>
    /// The engine of the engine options; what loading it does (a download, a conversion) shows on <paramref name="display"/>.
    /// </summary>
    private async Task<LabelingEngine> OpenEngineAsync(CommandInput a, CancellationToken ct, bool loadHead = true,
        ProgressDisplay? display = null)
    {
        if (display is not null)
            return await LabelingEngine.CreateAsync(engineOptions.ToEngineSettings(), display.Progress, display.Log, ct, loadHead);
        await using var lines = ProgressDisplay.For(a, stderr);
        var engine = await LabelingEngine.CreateAsync(engineOptions.ToEngineSettings(), lines.Progress, lines.Log, ct, loadHead);
        await lines.DoneAsync();
        return engine;
    }

    private void WriteJson(object value) => stdout.WriteLine(JsonSerializer.Serialize(value, Json));

    private async Task<int> ClassifyAsync(CommandInput a, CancellationToken ct)
    {
        if (a.Positionals.Count == 0) throw new UsageException("classify needs a text, or - to read standard input.");
        var text = a.Positionals is ["-"]
            ? await InputFiles.ReadToEndAsync(stdin, InputLimits.DefaultMaxTextBytes, "standard input", ct)
            : string.Join(' ', a.Positionals);
        if (InputLimits.TextProblem(text,
                a.Positionals is ["-"] ? "standard input" : "the text", InputLimits.DefaultMaxTextBytes) is { } problem)
            throw new InvalidDataException(problem + "; only text can be classified.");
        if (!DocumentLabeler.HasEnoughText(text))
            throw new ArgumentException("The text is empty or too short to classify (it needs at least 3 letters or digits).");
        using var engine = await OpenEngineAsync(a, ct);
        var p = engine.Classify([text], ct)[0];
        if (a.Flag("json")) WriteJson(PredictionDto.From(p));
        else
        {
            stdout.WriteLine($"{p.Label}\t{DocumentLabeler.Describe(p)}");
            if (p.Truncated)
                stderr.WriteLine($"note: the text has {p.TokenCount} tokens; only the first {engine.GetStatus().MaxTokens} were read.");
        }
        return Ok;
    }

    private async Task<int> LabelAsync(CommandInput a, CancellationToken ct)
    {
        if (a.Flag("merge"))
        {
            if (new[] { "recursive", "include", "exclude", "format", "paragraphs", "shard", "shards" }
                    .FirstOrDefault(a.Given) is { } labelOption)
                throw new UsageException($"--merge joins parts as they are; --{labelOption} is for the runs that made them.");
            return await MergeAsync(a.Positionals, a.Value("out"), a.Flag("json"), ct);
        }
        if (a.Flag("recursive")) return await LabelFolderAsync(a, ct);
        if (a.Positionals.Count == 0) throw new UsageException("label needs one or more files.");
        if (new[] { "include", "exclude", "format", "out", "shard", "shards" }.FirstOrDefault(a.Given) is { } folderOption)
            throw new UsageException($"--{folderOption} is for labelling a folder: agnews label DIR --recursive ...");
        foreach (var file in a.Positionals)
        {
            if (InputFiles.KindOf(file) == FileKind.Directory)
                throw new UsageException($"{file} is a folder; label its files with --recursive.");
            InputFiles.EnsureRegularFile(file);
        }
        var dataset = DatasetOf(a, a.Positionals, forWriting: false);
        using var engine = Taught(await OpenEngineAsync(a, ct), dataset, a, ct);
        var unit = a.Flag("paragraphs") ? TextUnit.Paragraph : TextUnit.Document;
        var results = new List<object>();
        foreach (var file in a.Positionals)
        {
            var text = await InputFiles.ReadTextAsync(file, InputLimits.DefaultMaxTextBytes, ct);
            if (InputLimits.TextProblem(text, file, InputLimits.DefaultMaxTextBytes) is { } problem)
                throw new InvalidDataException(problem + "; only text files can be labelled.");
            var labels = DocumentLabeler.Label(engine, text, unit, ct);
            if (a.Flag("json"))
                results.Add(new
                {
                    file,
                    document = labels.Document is null ? null : PredictionDto.From(labels.Document),
                    paragraphs = unit == TextUnit.Document ? null : labels.Blocks.Select(b => new
                    {
                        startLine = b.Block.StartLine + 1, endLine = b.Block.EndLine + 1,
                        text = b.Block.Text, prediction = PredictionDto.From(b.Prediction),
                    }),
                });
            else
            {
                stdout.WriteLine($"{file}\t{labels.Document?.Label ?? "(too little text)"}\t{(labels.Document is null ? "" : DocumentLabeler.Describe(labels.Document))}");
                foreach (var b in labels.Blocks)
                    stdout.WriteLine($"  lines {b.Block.StartLine + 1}-{b.Block.EndLine + 1}\t{b.Prediction.Label}{(b.Prediction.ByUser ? " (labelled by you)" : "")}" +
                                     $"\t{Preview(b.Block.Text)}");
            }
        }
        if (a.Flag("json")) WriteJson(results);
        return Ok;
    }

    /// <summary>
    /// label DIR --recursive: the folder's rows as CSV or JSONL into --out (written atomically) or onto stdout, through
    /// the same <see cref="FolderLabeler"/> as agnews/labelFolder; then the summary, on stdout when the rows went to a
    /// file, else on stderr.
    /// </summary>
    private async Task<int> LabelFolderAsync(CommandInput a, CancellationToken ct)
    {
        if (a.Positionals.Count != 1) throw new UsageException("label --recursive needs one folder.");
        var folder = a.Positionals[0];
        FileGlobs globs;
        FolderOutputFormat format;
        try
        {
            globs = new FileGlobs(a.Values("include"), a.Values("exclude"));
            format = a.Value("out") is null && a.Value("format") is null
                ? throw new ArgumentException("label --recursive needs --format csv|jsonl (or --out FILE.csv|FILE.jsonl)")
                : FolderOutputFormats.Parse(a.Value("format"), a.Value("out"));
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message + (e.Message.EndsWith('.') ? "" : "."));
        }
        if (InputFiles.KindOf(folder) != FileKind.Directory) throw new DirectoryNotFoundException($"No such folder: {folder}");
        var output = a.Value("out");
        var shard = ShardOption(a); // before the model loads, as every usage error
        var request = new FolderLabelRequest(folder, globs, a.Flag("paragraphs") ? TextUnit.Paragraph : TextUnit.Document)
        {
            MaxFileBytes = engineOptions.MaxTextBytes,
            Shard = shard?.Shard,
        };
        if (output is not null) OutputPath.Resolve(output); // a folder or block device is refused before the model loads
        // A shard is part of a job its manifest describes by model and head; the user's labels are not in it, so a sharded run
        // applies none (its parts then merge to what one run writes, byte for byte).
        if (shard is not null && a.Given("dataset"))
            throw new UsageException("--dataset does not go with --shard: a sharded run labels with the head alone.");
        var dataset = shard is null ? DatasetOf(a, [folder], forWriting: false) : null;
        await using var display = ProgressDisplay.For(a, stderr, bars: output is not null); // rows on stdout: no live display beside them
        var opened = await OpenEngineAsync(a, ct, display: display);
        using var engine = Taught(opened, dataset, a, ct);
        var progress = display.Progress;
        var summary = shard is { } s ? await LabelShardAsync(opened, request, output!, format, s.Source, progress, ct)
            : output is null
            ? await FolderLabeler.LabelAsync(engine, request, FolderRowWriters.For(format, stdout), progress, ct)
            : await FolderLabeler.LabelToFileAsync(engine, request, output, w => FolderRowWriters.For(format, w), progress, ct);
        await display.DoneAsync();
        var result = LabelFolderResult.From(summary, format);
        var summaryTo = output is null ? stderr : stdout;
        if (a.Flag("json"))
            summaryTo.WriteLine(shard is null
                ? JsonSerializer.Serialize(result, Json)
                : ShardSummaryJson(result, shard.Value.Shard, output!));
        else if (output is not null || !a.Flag("quiet")) WriteFolderSummary(summaryTo, result, shard?.Shard);
        return Ok;
    }

    private static void WriteFolderSummary(TextWriter to, LabelFolderResult r, Shard? shard = null)
    {
        to.WriteLine($"Labelled {r.FilesLabeled} of {r.FilesMatched} files{(shard is { } s ? $" of shard {s}" : "")} in {r.Folder} ({r.Unit}s) in {r.Seconds:F1} s: " +
                     $"{r.Rows} rows{(r.Output is null ? "" : $" written to {r.Output}")}, {r.Skipped} files skipped.");
        var paragraphs = r.Unit == TextUnit.Paragraph.Name();
        var width = Math.Max("label".Length, r.LabelCounts.Select(c => c.Label.Length).DefaultIfEmpty(0).Max());
        to.WriteLine($"  {"label".PadRight(width)}  {"documents",9}{(paragraphs ? $"  {"paragraphs",10}" : "")}");
        foreach (var c in r.LabelCounts)
            to.WriteLine($"  {c.Label.PadRight(width)}  {c.Documents,9}{(paragraphs ? $"  {c.Paragraphs,10}" : "")}");
        if (r.Skipped == 0) return;
        to.WriteLine(r.Skipped > r.SkippedFiles.Count ? $"Skipped (the first {r.SkippedFiles.Count}):" : "Skipped:");
        foreach (var f in r.SkippedFiles) to.WriteLine($"  {f.File}\t{f.Reason}");
    }

    private static string Preview(string text)
    {
        var oneLine = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return oneLine.Length <= 60 ? oneLine : oneLine[..57] + "...";
    }

    private async Task<int> TrainAsync(CommandInput a, CancellationToken ct)
    {
        var data = DataPaths(a, "train");
        HeadKind? kind;
        try
        {
            kind = HeadKinds.Parse(a.Value("head-kind"));
        }
        catch (ArgumentException e)
        {
            throw new UsageException("--head-kind: " + e.Message);
        }
        var fraction = a.Double("validation-fraction");
        var maxEpochs = a.Int("max-epochs") ?? a.Int("epochs");
        var maxPasses = a.Int("max-passes");
        try
        {
            TrainingSettings.Check(kind ?? HeadKinds.Default, maxEpochs, maxPasses, fraction, a.Int("limit"));
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        foreach (var path in data) DataLocator.Resolve(path, "train"); // a missing file or a device is reported before the model loads
        if (a.Value("out") is { } headOut) OutputPath.Resolve(headOut);
        await using var display = ProgressDisplay.For(a, stderr, bars: true);
        using var engine = await OpenEngineAsync(a, ct, loadHead: false, display); // the run replaces the head
        var result = await engine.TrainAsync(new TrainRequest(data, kind, PoolingOption(a), maxEpochs, maxPasses, a.Int("seed"), fraction,
            a.Flag("skip-bad-rows"), a.Int("limit", 1), a.Value("out") is { } o ? Path.GetFullPath(o) : null), display.Progress, ct);
        await display.DoneAsync();
        if (a.Flag("json")) WriteJson(TrainResultDto.From(result));
        else
        {
            stdout.WriteLine($"Trained a {HeadKinds.Name(result.HeadKind)} head on {result.TrainCount} texts " +
                             $"({result.ValidationCount} held out{(result.SkippedRows > 0 ? $", {result.SkippedRows} bad rows skipped" : "")}" +
                             $"{(result.DuplicateRows > 0 ? $", {result.DuplicateRows} texts already in an earlier file left out" : "")}) " +
                             $"in {result.History.Count} epochs: features {result.FeatureTime.TotalSeconds:F1} s, training {result.TrainTime.TotalSeconds:F1} s.");
            stdout.WriteLine($"Saved {result.HeadPath}");
            stdout.WriteLine("Validation:");
            stdout.WriteLine(ReportFormatter.ToText(result.Validation));
        }
        return Ok;
    }

    /// <summary>Every --data value, then any positional arguments: all are data files or folders.</summary>
    private static IReadOnlyList<string> DataPaths(CommandInput a, string command)
    {
        var paths = a.Values("data").Concat(a.Positionals).ToList();
        return paths.Count > 0 ? paths : throw new UsageException($"{command} needs --data FILE|DIR (one or more).");
    }

    private async Task<int> EvaluateAsync(CommandInput a, CancellationToken ct)
    {
        var data = DataPaths(a, "evaluate");
        foreach (var path in data) DataLocator.Resolve(path, "test");
        await using var display = ProgressDisplay.For(a, stderr, bars: true);
        using var engine = await OpenEngineAsync(a, ct, display: display);
        var report = await engine.EvaluateAsync(new EvaluateRequest(data, a.Flag("skip-bad-rows"), a.Int("limit", 1)),
            display.Progress, ct);
        await display.DoneAsync();
        if (a.Flag("json")) WriteJson(ReportDto.From(report));
        else stdout.WriteLine(ReportFormatter.ToText(report));
        return Ok;
    }

    private async Task<int> ModelInfoAsync(CommandInput a, CancellationToken ct)
    {
        using var engine = await OpenEngineAsync(a, ct);
        var info = engine.Describe();
        if (a.Flag("json")) WriteJson(info);
        else
        {
            stdout.WriteLine($"model       {info.Model} ({AgNewsLsp.Settings.SettingNames.Name(info.Source)})");
            stdout.WriteLine($"folder      {info.Folder}");
            stdout.WriteLine($"fingerprint {info.Fingerprint}");
            stdout.WriteLine($"shape       {info.Layers} layers, hidden {info.Hidden}, {info.Heads} heads, intermediate {info.Intermediate}, vocab {info.Vocab}");
            stdout.WriteLine($"tokens      up to {info.MaxTokens}, {info.Precision.Name()}");
            stdout.WriteLine($"head        {info.Head ?? "(none: train one)"}{(info.Head is null ? "" : $", {info.HeadPooling?.Name()} pooling, validation accuracy {info.HeadAccuracy:P2}")}");
            if (info.LabelNames is { } classes) stdout.WriteLine($"classes     {string.Join(", ", classes)}");
            foreach (var note in info.Native) stdout.WriteLine($"native      {note}");
        }
        return Ok;
    }
}
