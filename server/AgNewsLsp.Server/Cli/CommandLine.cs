using System.Text.Json;
using System.Text.Json.Serialization;
using AgNewsLsp.Data;
using AgNewsLsp.Engine;
using AgNewsLsp.Evaluation;
using AgNewsLsp.Native;

namespace AgNewsLsp.Server.Cli;

/// <summary>
/// The command-line front: classify, label, train, evaluate, model info. It only parses, calls the
/// engine and prints; stdout carries results (text or --json), stderr carries progress and errors.
/// Exit codes: 0 ok, 1 failed (bad input, missing file...), 2 usage, 130 cancelled.
/// </summary>
public sealed partial class CommandLine(TextReader stdin, TextWriter stdout, TextWriter stderr)
{
    public const int Ok = 0, Failed = 1, Usage = 2, Cancelled = 130;

    private static readonly string[] EngineOptionNames = ["model", "head", "pooling", "max-tokens", "precision", "cache", "threads"];

    public const string UsageText = """
        agnews: news-topic labels (World, Sports, Business, Sci/Tech, or the classes your data names) from a frozen
        BERT and a small trained head.

        Usage:
          agnews classify TEXT... | -          label a text (- reads standard input)
          agnews label FILE... [--paragraphs]  label files, or each paragraph of them
          agnews train --data DIR|FILE... [--head-kind hybrid|linear|mlp] [--pooling P] [--epochs N] [--seed N]
                       [--validation-fraction F] [--limit N] [--skip-bad-rows] [--out HEAD.json]
                                               --data may repeat; a folder means its train* files; a text in
                                               several files counts once. Default head kind: hybrid. The head
                                               learns the data's classes: its label names, or the names in a
                                               classes.txt beside it; plain numbers mean the AG News classes
          agnews evaluate --data FILE|DIR... [--limit N] [--skip-bad-rows]
          agnews model info
          agnews embed INPUT --out FILE.npy|FILE.parquet [--pooling P] [--lines] [--limit N] [--skip-bad-rows]
                                               the encoder's vectors for a text file (a text per line) or labelled data
          agnews serve [--stdio | --port N]    the language server (JSON-RPC, LSP framing)

        Options for every command:
          --model PATH|NAME   BERT checkpoint folder or Hugging Face name (default: the embedded all-MiniLM-L6-v2)
          --head FILE         head file to use (and to save training into)
          --pooling P         cls, pooler, mean, cls-last2, cls-last4, mean+cls (training; default cls-last4)
          --max-tokens N      longer texts are truncated (default 128)
          --precision P       auto (default: bf16 where the CPU has bf16 instructions, else fp32), fp32, bf16
          --cache DIR         cache folder (default ~/.cache/agnews, or AGNEWS_CACHE)
          --threads N         libtorch threads (1 to the number of cores)
          --json              machine-readable output
          --quiet             no progress on stderr
        """;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? stderr : stdout).WriteLine(UsageText);
            return args.Length == 0 ? Usage : Ok;
        }
        try
        {
            args = CommandFirst(args);
            return args[0] switch
            {
                "classify" => await ClassifyAsync(Parse(args[1..]), cancellationToken),
                "label" => await LabelAsync(Parse(args[1..], flags: ["paragraphs"]), cancellationToken),
                "train" => await TrainAsync(Parse(args[1..], ["data", "epochs", "seed", "limit", "out", "validation-fraction"], ["skip-bad-rows"], extra: ["head-kind"]), cancellationToken),
                "evaluate" => await EvaluateAsync(Parse(args[1..], ["data", "limit"], ["skip-bad-rows"]), cancellationToken),
                "model" when args.Length > 1 && args[1] == "info" => await ModelInfoAsync(Parse(args[2..]), cancellationToken),
                "embed" => await EmbedAsync(Parse(args[1..], ["out", "limit"], ["lines", "skip-bad-rows"]), cancellationToken),
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

    /// <summary>
    /// Options may come before the command (agnews --model X classify T): moves the leading options after the command
    /// word(s), so that every command parses one list. "model info" is a two-word command.
    /// </summary>
    internal static string[] CommandFirst(string[] args)
    {
        var i = 0;
        while (i < args.Length && args[i].StartsWith("--", StringComparison.Ordinal) && args[i] != "--")
        {
            var name = args[i][2..];
            var takesValue = !name.Contains('=') && EngineOptionNames.Contains(name);
            i += takesValue ? 2 : 1;
        }
        if (i == 0 || i >= args.Length) return args;
        if (args[i] == "serve") throw new UsageException("serve takes its options after it: agnews serve [--stdio | --port N] [--modelPath P] ...");
        var words = args[i] == "model" && i + 1 < args.Length ? 2 : 1;
        return [.. args.Skip(i).Take(words), .. args.Take(i), .. args.Skip(i + words)];
    }

    private static CliArguments Parse(string[] args, string[]? values = null, string[]? flags = null, string[]? extra = null) =>
        CliArguments.Parse(args,
            new HashSet<string>(EngineOptionNames.Concat(values ?? []).Concat(extra ?? [])),
            new HashSet<string>(new[] { "json", "quiet" }.Concat(flags ?? [])));

    private static EngineOptions EngineOptionsFrom(CliArguments a) => new()
    {
        Model = a.Value("model"),
        HeadPath = a.Value("head") is { } h ? Path.GetFullPath(h) : null,
        Pooling = a.Value("pooling"),
        MaxTokens = a.Int("max-tokens", 3) ?? 128,
        Precision = a.Value("precision"),
        CacheRoot = a.Value("cache") is { } c ? Path.GetFullPath(c) : null,
        Threads = a.Int("threads", 1, Environment.ProcessorCount),
    };

    private async Task<LabelingEngine> OpenEngineAsync(CliArguments a, CancellationToken ct)
    {
        var reporter = a.Flag("quiet") ? null : new ProgressPrinter(stderr);
        var log = a.Flag("quiet") ? null : new InlineProgress<string>(m => stderr.WriteLine(m));
        return await LabelingEngine.CreateAsync(EngineOptionsFrom(a), reporter, log, ct);
    }

    private void WriteJson(object value) => stdout.WriteLine(JsonSerializer.Serialize(value, Json));

    private static object PredictionJson(Prediction p) => new
    {
        label = p.Label,
        probabilities = p.LabelNames.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => Math.Round(p.Probabilities[x.i], 6)),
        truncated = p.Truncated,
        tokenCount = p.TokenCount,
    };

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
        if (a.Flag("json")) WriteJson(PredictionJson(p));
        else
        {
            stdout.WriteLine($"{p.Label}\t{DocumentLabeler.Describe(p)}");
            if (p.Truncated) stderr.WriteLine($"note: the text has {p.TokenCount} tokens; only the first {engine.Encoder.MaxTokens} were read.");
        }
        return Ok;
    }

    private async Task<int> LabelAsync(CliArguments a, CancellationToken ct)
    {
        if (a.Positionals.Count == 0) throw new UsageException("label needs one or more files.");
        foreach (var file in a.Positionals)
            InputFiles.EnsureRegularFile(file);
        using var engine = await OpenEngineAsync(a, ct);
        var unit = a.Flag("paragraphs") ? LabelUnit.Paragraph : LabelUnit.Document;
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
                    document = labels.Document is null ? null : PredictionJson(labels.Document),
                    paragraphs = unit == LabelUnit.Document ? null : labels.Blocks.Select(b => new
                    {
                        startLine = b.Block.StartLine + 1, endLine = b.Block.EndLine + 1, text = b.Block.Text, prediction = PredictionJson(b.Prediction),
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
        foreach (var path in data) DataLocator.Resolve(path, "train"); // a missing file or a device is reported before the model loads
        using var engine = await OpenEngineAsync(a, ct);
        var progress = a.Flag("quiet") ? null : new ProgressPrinter(stderr);
        var result = await engine.TrainAsync(new TrainRequest(data, kind, a.Value("pooling"), a.Int("epochs", 1), a.Int("seed"), fraction,
            a.Flag("skip-bad-rows"), a.Int("limit", 1), a.Value("out") is { } o ? Path.GetFullPath(o) : null), progress, ct);
        progress?.Done();
        if (a.Flag("json")) WriteJson(result);
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
        if (a.Flag("json")) WriteJson(report);
        else stdout.WriteLine(ReportFormatter.ToText(report));
        return Ok;
    }

    private async Task<int> ModelInfoAsync(CliArguments a, CancellationToken ct)
    {
        using var engine = await OpenEngineAsync(a, ct);
        var c = engine.Encoder.Model.Config;
        var s = engine.Status;
        var info = new
        {
            model = engine.ResolvedModel.Name,
            source = engine.ResolvedModel.Source,
            folder = engine.ResolvedModel.Folder,
            fingerprint = engine.Encoder.Fingerprint,
            layers = c.NumHiddenLayers, hidden = c.HiddenSize, heads = c.NumAttentionHeads, intermediate = c.IntermediateSize,
            vocab = c.VocabSize, maxTokens = s.MaxTokens, precision = s.Precision,
            head = s.HeadPath, pooling = s.Pooling, headAccuracy = engine.Head?.Validation?.Accuracy, labelNames = s.LabelNames,
            native = TorchRuntime.Notes,
        };
        if (a.Flag("json")) WriteJson(info);
        else
        {
            stdout.WriteLine($"model       {info.model} ({info.source})");
            stdout.WriteLine($"folder      {info.folder}");
            stdout.WriteLine($"fingerprint {info.fingerprint}");
            stdout.WriteLine($"shape       {info.layers} layers, hidden {info.hidden}, {info.heads} heads, intermediate {info.intermediate}, vocab {info.vocab}");
            stdout.WriteLine($"tokens      up to {info.maxTokens}, {info.precision}");
            stdout.WriteLine($"head        {info.head ?? "(none: train one)"}{(info.head is null ? "" : $", {info.pooling} pooling, validation accuracy {info.headAccuracy:P2}")}");
            if (info.labelNames is { } classes) stdout.WriteLine($"classes     {string.Join(", ", classes)}");
            foreach (var note in info.native) stdout.WriteLine($"native      {note}");
        }
        return Ok;
    }
}

/// <summary>Progress on stderr: one rewritten line on a terminal, else a line per 10% step.</summary>
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
            if (p.Stage != _stage || decile != _lastDecile)
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
