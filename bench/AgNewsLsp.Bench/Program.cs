using System.Diagnostics;
using System.Globalization;
using AgNewsLsp.Bench;
using AgNewsLsp.Settings;

// dotnet run --project bench/AgNewsLsp.Bench -c Release -- [--quick] [--out artifacts/bench.json] [--cache DIR] [--data DIR] [--threads N]
// Measures accuracy, encoder throughput, latency, cold start and memory in one run; prints one table; writes it as JSON.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"bench: {e.Message}");
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}
if (options.Help)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

var clock = Stopwatch.StartNew();
var report = new Report { Quick = options.Quick };
try
{
    await new BenchRun(options, report).RunAsync();
}
finally
{
    report.TotalSeconds = clock.Elapsed.TotalSeconds;
    report.Machine["loadAverageAtEnd"] = Machine.LoadAverage();
    report.Save(options.Out);
    Console.WriteLine();
    Console.WriteLine($"AgNewsLsp benchmarks{(options.Quick ? " (quick)" : "")}, {report.Date}, {report.Machine.GetValueOrDefault("cpu")}, " +
                      $"{report.Machine.GetValueOrDefault("logicalCpus")} CPUs, load average at start {report.Machine.GetValueOrDefault("loadAverageAtStart")}, " +
                      $"at end {report.Machine.GetValueOrDefault("loadAverageAtEnd")}, total {report.TotalSeconds:F0} s");
    Console.WriteLine();
    Console.Write(report.ToMarkdown());
    foreach (var note in report.Notes) Console.WriteLine($"- {note}");
    Console.WriteLine();
    Console.WriteLine($"JSON: {Path.GetFullPath(options.Out)}");
}
return 0;

public sealed record BenchOptions
{
    public bool Quick { get; init; }
    public bool Help { get; init; }
    private string? _out;
    /// <summary>Default artifacts/bench.json, or artifacts/bench-quick.json with --quick (a smoke test never overwrites a full run).</summary>
    public string Out { get => _out ?? Path.Combine("artifacts", Quick ? "bench-quick.json" : "bench.json"); init => _out = value; }
    public string CacheRoot { get; init; } = Path.Combine(Path.GetTempPath(), "agnews-bench");
    public string? DataDir { get; init; }
    public int? Threads { get; init; }
    public bool SkipProcess { get; init; }
    /// <summary>Null: every section.</summary>
    public IReadOnlySet<string>? Sections { get; init; }
    public bool LatencyFirst { get; init; }
    /// <summary>Training rows for the attention-pooling head (a seeded subset); null: 10,000, or 1,000 with --quick.</summary>
    public int? AttentionRows { get; init; }
    /// <summary>Learning-curve sizes below all rows; null: 1000, 2500, 5000, 10000, 20000 (250, 500, 1000 with --quick).</summary>
    public int[]? CurveRows { get; init; }
    /// <summary>The accuracy section's MiniLM head kinds; null: linear, mlp, hybrid.</summary>
    public AgNewsLsp.Settings.HeadKind[]? MiniLmHeads { get; init; }
    /// <summary>Another run's JSON to take the curve's all-rows point from (a run split across processes).</summary>
    public string? CurveAllFrom { get; init; }
    /// <summary>Epochs and layer learning rates of the hybrid+layers head; null: the trainer's defaults.</summary>
    public int? TopLayerEpochs { get; init; }
    /// <summary>How many of the encoder's last layers the hybrid+layers head copies and trains; null: the engine's default.</summary>
    public int? TopLayers { get; init; }
    /// <summary>The feature engines' precision for the accuracy sections; null: the engine default.</summary>
    public AgNewsLsp.Settings.Precision? FeaturePrecision { get; init; }
    public double[]? TopLayerRates { get; init; }
    /// <summary>The teach section stops once the constants are chosen (no test-split runs, no latency).</summary>
    public bool TeachTuneOnly { get; init; }
    public static readonly string[] AllSections = ["accuracy", "curve", "arctic", "attention", "toplayer", "poolings", "training", "bf16", "throughput", "latency", "headload", "servedtop", "bertbase", "process", "teach"];

    public const string Usage = """
        Usage: dotnet run --project bench/AgNewsLsp.Bench -c Release -- [options]
          --quick          small samples, for smoke tests (about 1.5 minutes)
          --out FILE       where the JSON goes (default artifacts/bench.json; artifacts/bench-quick.json with --quick)
          --cache DIR      cache root (default $TMPDIR/agnews-bench); --cache ~/.cache/agnews reuses the features already
                           there. Never wiped: cold training uses an empty cache folder of its own under $TMPDIR
          --data DIR       AG News folder with train.csv and test.csv (default ../shared/data/ag_news from the repo root)
          --threads N      libtorch and ONNX Runtime threads (default: libtorch's default)
          --skip-process   skip the child-process cold start and peak memory measurements
          --sections LIST  only these, comma-separated: accuracy (MiniLM heads), curve, arctic (ArcticXs and joined
                           encoders), attention, toplayer (the hybrid+layers kind, its parts alone and mixed), poolings (cls-last4 + mean, hybrid), training (cold/warm default head), bf16, throughput,
                           latency, headload (the shipped head's load time), servedtop (its top layers' cost per hover), bertbase, process (the speed sections reuse, or train, a mean/linear head in the bench cache),
                           teach (teach in place: corrections from a pool by suggestion or at random, a class taught as new, the
                           blend's constants chosen on validation rows, correction-to-refresh latency with the shipped head)
          --heads LIST     the accuracy section's MiniLM head kinds (default linear,mlp,hybrid)
          --curve-rows LIST  learning-curve sizes below all rows, comma-separated (default 1000,2500,5000,10000,20000)
          --curve-all-from FILE  take the all-rows curve point from another run's JSON (waits up to 45 min for it)
          --attention-rows N  training rows for the attention-pooling head (default 10000; 1000 with --quick)
          --precision P    feature precision of the accuracy sections (fp32 or bf16; default: the engine's, "auto")
          --top-epochs N, --top-rate LIST  the hybrid+layers head's epochs (default 4) and layer learning rates (default 2e-4)
          --top-layers N   how many of the last encoder layers it trains (default 2)
          --latency-first  measure single-text latency before throughput instead of after it
          --teach-tune-only  the teach section stops once its constants are chosen on the validation rows
        """;

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            o = args[i] switch
            {
                "--quick" => o with { Quick = true },
                "--out" => o with { Out = Next() },
                "--cache" => o with { CacheRoot = Path.GetFullPath(Next()) },
                "--data" => o with { DataDir = Path.GetFullPath(Next()) },
                "--threads" => o with { Threads = int.TryParse(Next(), out var t) && t > 0 ? t : throw new ArgumentException("--threads needs a positive number.") },
                "--skip-process" => o with { SkipProcess = true },
                "--latency-first" => o with { LatencyFirst = true },
                "--teach-tune-only" => o with { TeachTuneOnly = true },
                "--heads" => o with { MiniLmHeads = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(h => AgNewsLsp.Settings.HeadKinds.Parse(h) ?? throw new ArgumentException("--heads needs head kinds.")).ToArray() },
                "--curve-rows" => o with { CurveRows = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(v => int.TryParse(v, out var r) && r >= 50 ? r : throw new ArgumentException("--curve-rows needs numbers of at least 50.")).ToArray() },
                "--curve-all-from" => o with { CurveAllFrom = Path.GetFullPath(Next()) },
                "--attention-rows" => o with { AttentionRows = int.TryParse(Next(), out var n) && n >= 100 ? n : throw new ArgumentException("--attention-rows needs a number of at least 100.") },
                "--precision" => o with { FeaturePrecision = AgNewsLsp.Settings.Precisions.Parse(Next()) },
                "--top-layers" => o with { TopLayers = int.Parse(Next()) },
                "--top-epochs" => o with { TopLayerEpochs = int.Parse(Next()) },
                "--top-rate" => o with { TopLayerRates = Next().Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray() },
                "--sections" => o with { Sections = ParseSections(Next()) },
                "-h" or "--help" => o with { Help = true },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'."),
            };
        }
        return o;
    }

    private static HashSet<string> ParseSections(string list)
    {
        var set = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x => x.ToLowerInvariant()).ToHashSet();
        var unknown = set.Except(AllSections).ToArray();
        if (unknown.Length > 0 || set.Count == 0)
            throw new ArgumentException($"Unknown section(s) {string.Join(", ", unknown)}; choose from {string.Join(", ", AllSections)}.");
        return set;
    }
}

public static class Machine
{
    public static string? LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return null; }
    }

    public static string CpuModel()
    {
        try
        {
            var psi = new ProcessStartInfo("lscpu") { RedirectStandardOutput = true, UseShellExecute = false };
            using var p = Process.Start(psi)!;
            var text = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("Model name:", StringComparison.Ordinal));
            var model = line?["Model name:".Length..].Trim() ?? "unknown";
            var family = text.Split('\n').FirstOrDefault(l => l.StartsWith("CPU family:", StringComparison.Ordinal))?["CPU family:".Length..].Trim();
            var flags = text.Split('\n').FirstOrDefault(l => l.StartsWith("Flags:", StringComparison.Ordinal)) ?? "";
            var features = new[] { "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16" }.Where(f => flags.Contains(' ' + f)).ToArray();
            return $"{model} (family {family}{(family == "26" ? ", Zen 5" : "")}; {string.Join(", ", features)})";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException)
        {
            return "unknown";
        }
    }

    public static long? MemTotalMiB()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Finds the repository root (the folder with AgNewsLsp.sln) above the working directory or the app.</summary>
    public static string? RepoRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "AgNewsLsp.sln")))
                    return dir.FullName;
        return null;
    }
}
