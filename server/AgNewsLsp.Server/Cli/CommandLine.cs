using AgNewsLsp.IO;
using AgNewsLsp.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AgNewsLsp.Data;
using AgNewsLsp.Engine;
using AgNewsLsp.Evaluation;
using AgNewsLsp.Native;
using AgNewsLsp.Progress;
using AgNewsLsp.Settings;



using AgNewsLsp.Server.Wire;
using AgNewsLsp.Server.Options;

namespace AgNewsLsp.Server.Cli;

/// <summary>
/// The command-line front: classify, label, train, evaluate, model info. It only parses, calls the
/// engine and prints; stdout carries results (text or --json), stderr carries progress and errors.
/// Exit codes: 0 ok, 1 failed (bad input, missing file...), 2 usage, 130 cancelled.
/// </summary>
public sealed partial class CommandLine(TextReader stdin, TextWriter stdout, TextWriter stderr)
{
    public const int Ok = 0, Failed = 1, Usage = 2, Cancelled = 130;

    public static string UsageText => $"""
        agnews: news-topic labels (World, Sports, Business, Sci/Tech, or the classes your data names) from a frozen
        BERT and a small trained head.

        Usage:
          agnews classify TEXT... | -          label a text (- reads standard input)
          agnews label FILE... [--paragraphs]  label files, or each paragraph of them
          agnews label DIR --recursive --format csv|jsonl [--out FILE] [--include GLOB]... [--exclude GLOB]... [--paragraphs]
                       [--shard I/N | --shards N]
                                               label a folder's files (--include default: {FileGlobs.DefaultInclude}) into
                                               a CSV or JSONL file (written whole or not at all), else onto stdout; a
                                               binary, too large or too short file is skipped with its reason.
                                               --shard I/N: only shard I (from 0) of N, the files whose relative path
                                               hashes to it, into --out FILE and its manifest FILE.shard.json;
                                               --shards N takes I from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID
                                               (docs/scale-out.md)
          agnews label --merge PART... --out FILE
                                               join the parts of a sharded label or embed run into the file one run
                                               writes (one header, the same order); refuses parts of another model,
                                               head or job, and a missing or repeated shard
          agnews train --data DIR|FILE... [--head-kind {string.Join('|', HeadKinds.Names)}] [--pooling P] [--max-epochs N]
                       [--seed N] [--validation-fraction F] [--limit N] [--skip-bad-rows] [--out HEAD.json]
                                               --data may repeat; a folder means its train* files; a text in
                                               several files counts once. Default head kind: {HeadKinds.Default.Name()}
                                               (seconds when warm); hybrid+layers also trains copies of the
                                               encoder's top layers: more accurate, tens of minutes on a laptop
                                               (--max-epochs: its layers' epochs, default {TrainingSettings.DefaultTopLayerEpochs}). The head
                                               learns the data's classes: its label names, or the names in a
                                               classes.txt beside it; plain numbers mean the AG News classes
          agnews evaluate --data FILE|DIR... [--limit N] [--skip-bad-rows]
          agnews model info
          agnews embed INPUT --out FILE.npy|FILE.parquet [--pooling P] [--lines] [--limit N] [--skip-bad-rows]
                       [--shard I/N | --shards N]
                                               the encoder's vectors for a text file (a text per line) or labelled data;
                                               a shard holds the rows whose id (line or row number) hashes to it
          agnews serve [--stdio | --port N]    the language server (JSON-RPC, LSP framing)

        Options for every command, before or after it (from the server's option table; also AGNEWS_<NAME>):
        {OptionTable.Usage(OptionScope.Engine)}
          --json                               machine-readable output
          --quiet                              no progress on stderr
        """;

    /// <summary>The language server's JSON, indented: --json prints the same shapes as the server sends.</summary>
    private static readonly JsonSerializerOptions Json = new(WireJson.Options) { WriteIndented = true };

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? stderr : stdout).WriteLine(UsageText);
            return args.Length == 0 ? Usage : Ok;
        }
        try
        {
            (engineOptions, args) = TakeEngineOptions(args);
            if (args.Length == 0) throw new UsageException("No command given.");
            return args[0] switch
            {
                "classify" => await ClassifyAsync(Parse(args[1..]), cancellationToken),
                "label" => await LabelAsync(Parse(args[1..], ["include", "exclude", "format", "out", "shard", "shards"], ["paragraphs", "recursive", "merge"]), cancellationToken),
                "train" => await TrainAsync(Parse(args[1..], ["data", "max-epochs", "epochs", "seed", "limit", "out", "validation-fraction", "head-kind", "pooling"], ["skip-bad-rows"]), cancellationToken),
                "evaluate" => await EvaluateAsync(Parse(args[1..], ["data", "limit"], ["skip-bad-rows"]), cancellationToken),
                "model" when args.Length > 1 && args[1] == "info" => await ModelInfoAsync(Parse(args[2..]), cancellationToken),
                "embed" => await EmbedAsync(Parse(args[1..], ["out", "limit", "pooling", "shard", "shards"], ["lines", "skip-bad-rows"]), cancellationToken),
                _ => throw new UsageException($"Unknown command '{string.Join(' ', args.Take(2))}'."),
            };
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"agnews: {e.Message}");
            stderr.WriteLine("Run 'agnews --help' for usage.");
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
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "/._-+=:,@%".Contains(c)) ? word : "'" + word.Replace("'", "'\\''") + "'";

    /// <summary>
    /// The engine settings (the option table's engine rows: --model, --max-tokens, ...) wherever they stand, before
    /// or after the command; what remains is the command and its own options.
    /// </summary>
    internal static (ServerOptions Options, string[] Remaining) TakeEngineOptions(string[] args)
    {
        try
        {
            var fromEnvironment = OptionTable.FromEnvironment(new ServerOptions(), OptionTable.ProcessEnvironment(), OptionScope.Engine);
            var (options, remaining) = OptionTable.TakeFromArguments(fromEnvironment, args, OptionScope.Engine);
            if (remaining.Length > 0 && remaining[0] == "serve")
                throw new UsageException("serve takes its options after it: agnews serve [--stdio | --port N] [--model-path P] ...");
            return (options, remaining);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message + ".");
        }
    }

    /// <summary>--pooling, parsed; null when not given (the engine's default).</summary>
    internal static Pooling? PoolingOption(CliArguments a)
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

    private static CliArguments Parse(string[] args, string[]? values = null, string[]? flags = null) =>
        CliArguments.Parse(args, new HashSet<string>(values ?? []), new HashSet<string>(new[] { "json", "quiet" }.Concat(flags ?? [])));

    private async Task<LabelingEngine> OpenEngineAsync(CliArguments a, CancellationToken ct, bool loadHead = true)
    {
        var reporter = a.Flag("quiet") ? null : new ProgressPrinter(stderr);
        var log = a.Flag("quiet") ? null : new InlineProgress<string>(m => stderr.WriteLine(m));
        return await LabelingEngine.CreateAsync(engineOptions.ToEngineSettings(), reporter, log, ct, loadHead);
    }

    private void WriteJson(object value) => stdout.WriteLine(JsonSerializer.Serialize(value, Json));

    private async Task<int> ClassifyAsync(CliArguments a, CancellationToken ct)
    {
        if (a.Positionals.Count == 0) throw new UsageException("classify needs a text, or - to read standard input.");
        var text = a.Positionals is ["-"]
            ? await InputFiles.ReadToEndAsync(stdin, InputLimits.DefaultMaxTextBytes, "standard input", ct)
            : string.Join(' ', a.Positionals);
        if (InputLimits.TextProblem(text, a.Positionals is ["-"] ? "standard input" : "the text", InputLimits.DefaultMaxTextBytes) is { } problem)
            throw new InvalidDataException(problem + "; only text can be classified.");
        if (!DocumentLabeler.HasEnoughText(text))
            throw new ArgumentException("The text is empty or too short to classify (it needs at least 3 letters or digits).");
        using var engine = await OpenEngineAsync(a, ct);
        var p = engine.Classify([text], ct)[0];
        if (a.Flag("json")) WriteJson(PredictionDto.From(p));
        else
        {
            stdout.WriteLine($"{p.Label}\t{DocumentLabeler.Describe(p)}");
            if (p.Truncated) stderr.WriteLine($"note: the text has {p.TokenCount} tokens; only the first {engine.GetStatus().MaxTokens} were read.");
        }
        return Ok;
    }

    private async Task<int> LabelAsync(CliArguments a, CancellationToken ct)
    {
        if (a.Flag("merge"))
        {
            if (new[] { "recursive", "include", "exclude", "format", "paragraphs", "shard", "shards" }.FirstOrDefault(a.Flag) is { } labelOption)
                throw new UsageException($"--merge joins parts as they are; --{labelOption} is for the runs that made them.");
            return await MergeAsync(a.Positionals, a.Value("out"), a.Flag("json"), ct);
        }
        if (a.Flag("recursive")) return await LabelFolderAsync(a, ct);
        if (a.Positionals.Count == 0) throw new UsageException("label needs one or more files.");
        if (new[] { "include", "exclude", "format", "out", "shard", "shards" }.FirstOrDefault(a.Flag) is { } folderOption)
            throw new UsageException($"--{folderOption} is for labelling a folder: agnews label DIR --recursive ...");
        foreach (var file in a.Positionals)
        {
            if (InputFiles.KindOf(file) == FileKind.Directory) throw new UsageException($"{file} is a folder; label its files with --recursive.");
            InputFiles.EnsureRegularFile(file);
        }
        using var engine = await OpenEngineAsync(a, ct);
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
                        startLine = b.Block.StartLine + 1, endLine = b.Block.EndLine + 1, text = b.Block.Text, prediction = PredictionDto.From(b.Prediction),
                    }),
                });
            else
            {
                stdout.WriteLine($"{file}\t{labels.Document?.Label ?? "(too little text)"}\t{(labels.Document is null ? "" : DocumentLabeler.Describe(labels.Document))}");
                foreach (var b in labels.Blocks)
                    stdout.WriteLine($"  lines {b.Block.StartLine + 1}-{b.Block.EndLine + 1}\t{b.Prediction.Label}\t{Preview(b.Block.Text)}");
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
    private async Task<int> LabelFolderAsync(CliArguments a, CancellationToken ct)
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
        using var engine = await OpenEngineAsync(a, ct);
        var progress = a.Flag("quiet") ? null : new ProgressPrinter(stderr);
        var summary = shard is { } s ? await LabelShardAsync(engine, request, output!, format, s.Source, progress, ct)
            : output is null
            ? await FolderLabeler.LabelAsync(engine, request, FolderRowWriters.For(format, stdout), progress, ct)
            : await FolderLabeler.LabelToFileAsync(engine, request, output, w => FolderRowWriters.For(format, w), progress, ct);
        progress?.Done();
        var result = LabelFolderResult.From(summary, format);
        var summaryTo = output is null ? stderr : stdout;
        if (a.Flag("json")) summaryTo.WriteLine(shard is null ? JsonSerializer.Serialize(result, Json) : ShardSummaryJson(result, shard.Value.Shard, output!));
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

    private async Task<int> TrainAsync(CliArguments a, CancellationToken ct)
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
        try
        {
            TrainingSettings.Check(maxEpochs, fraction, a.Int("limit"));
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        foreach (var path in data) DataLocator.Resolve(path, "train"); // a missing file or a device is reported before the model loads
        if (a.Value("out") is { } headOut) OutputPath.Resolve(headOut);
        using var engine = await OpenEngineAsync(a, ct, loadHead: false); // the run replaces the head
        var progress = a.Flag("quiet") ? null : new ProgressPrinter(stderr);
        var result = await engine.TrainAsync(new TrainRequest(data, kind, PoolingOption(a), maxEpochs, a.Int("seed"), fraction,
            a.Flag("skip-bad-rows"), a.Int("limit", 1), a.Value("out") is { } o ? Path.GetFullPath(o) : null), progress, ct);
        progress?.Done();
        if (a.Flag("json")) WriteJson(TrainResultDto.From(result));
        else
        {
            stdout.WriteLine($"Trained a {HeadKinds.Name(result.Kind)} head on {result.TrainCount} texts " +
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
    private static IReadOnlyList<string> DataPaths(CliArguments a, string command)
    {
        var paths = a.Values("data").Concat(a.Positionals).ToList();
        return paths.Count > 0 ? paths : throw new UsageException($"{command} needs --data FILE|DIR (one or more).");
    }

    private async Task<int> EvaluateAsync(CliArguments a, CancellationToken ct)
    {
        var data = DataPaths(a, "evaluate");
        foreach (var path in data) DataLocator.Resolve(path, "test");
        using var engine = await OpenEngineAsync(a, ct);
        var progress = a.Flag("quiet") ? null : new ProgressPrinter(stderr);
        var report = await engine.EvaluateAsync(new EvaluateRequest(data, a.Flag("skip-bad-rows"), a.Int("limit", 1)), progress, ct);
        progress?.Done();
        if (a.Flag("json")) WriteJson(ReportDto.From(report));
        else stdout.WriteLine(ReportFormatter.ToText(report));
        return Ok;
    }

    private async Task<int> ModelInfoAsync(CliArguments a, CancellationToken ct)
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

/// <summary>Progress on stderr: one rewritten line on a terminal, else a line per 10% step and per epoch or pass summary.</summary>
internal sealed class ProgressPrinter(TextWriter stderr) : IProgress<WorkProgress>
{
    private readonly bool _terminal = !Console.IsErrorRedirected && ReferenceEquals(stderr, Console.Error);
    private string _stage = "";
    private int _lastDecile = -1;
    private bool _open;

    public void Report(WorkProgress p)
    {
        var line = p.Total > 0 ? $"{p.Stage}: {p.Done}/{p.Total} ({p.Percent:F0}%){(p.Message is null ? "" : " " + p.Message)}" : $"{p.Stage}{(p.Message is null ? "" : ": " + p.Message)}";
        lock (this)
        {
            if (_terminal)
            {
                stderr.Write("\r" + (line.Length > 159 ? line[..159] : line) + "\u001b[K"); // \e[K clears the rest of the line
                _open = true;
                return;
            }
            int decile = (int)(p.Percent / 10);
            if (p.Stage != _stage || decile != _lastDecile || p.IsSummary)
            {
                stderr.WriteLine(line);
                _stage = p.Stage;
                _lastDecile = decile;
            }
        }
    }

    public void Done()
    {
        if (_open) stderr.WriteLine();
        _open = false;
    }
}
