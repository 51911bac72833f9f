using System.Diagnostics;
using AgNewsLsp.Data;
using AgNewsLsp.Engine;
using AgNewsLsp.Evaluation;
using AgNewsLsp.Features;
using AgNewsLsp.Model;
using AgNewsLsp.Model.Checkpoints;
using AgNewsLsp.Native;
using TorchSharp;
using static TorchSharp.torch;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Bench;

/// <summary>The whole benchmark, section by section; every number lands in the report as it is measured.</summary>
public sealed partial class BenchRun(BenchOptions options, Report report)
{
    /// <summary>A news paragraph of about 60 tokens (the exact count is reported).</summary>
    public const string Paragraph =
        "The central bank raised interest rates by half a percentage point on Thursday, its third increase this year, " +
        "saying that inflation remained stubbornly high while unemployment stayed near record lows. Stocks fell sharply " +
        "after the announcement, and analysts expect further tightening before the end of the year.";

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private bool Quick => options.Quick;
    private string _dataDir = "";
    private string _headsDir = "";
    private int _threads;
    private string[] _testTexts = [];

    private readonly List<object> _stages = new();

    private void Stage(string name)
    {
        var load = Machine.LoadAverage();
        _stages.Add(new { at = Math.Round(_clock.Elapsed.TotalSeconds, 1), stage = name, load });
        report.Details["stages"] = _stages;
        Console.Error.WriteLine($"[{_clock.Elapsed:mm\\:ss}] {name} (load {load})");
        // Saved at every stage, so a run stopped early still leaves every number measured so far.
        report.Save(options.Out);
    }

    public async Task RunAsync()
    {
        var repo = Machine.RepoRoot();
        _dataDir = options.DataDir ?? Path.GetFullPath(Path.Combine(repo ?? Directory.GetCurrentDirectory(), "..", "shared", "data", "ag_news"));
        if (!File.Exists(Path.Combine(_dataDir, "test.csv")))
            throw new FileNotFoundException($"No AG News test.csv in {_dataDir}; pass --data DIR.");
        Directory.CreateDirectory(options.CacheRoot);
        _headsDir = Path.Combine(options.CacheRoot, "bench-heads");
        Directory.CreateDirectory(_headsDir);

        report.Machine["cpu"] = Machine.CpuModel();
        report.Machine["logicalCpus"] = Environment.ProcessorCount;
        report.Machine["memoryMiB"] = Machine.MemTotalMiB();
        report.Machine["loadAverageAtStart"] = Machine.LoadAverage();
        report.Machine["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription;
        report.Machine["dotnet"] = Environment.Version.ToString();
        report.Machine["cacheRoot"] = options.CacheRoot;
        report.Machine["data"] = _dataDir;

        Stage("initialising libtorch");
        TorchRuntime.EnsureInitialized(options.Threads);
        _threads = torch.get_num_threads();
        report.Machine["torch"] = TorchRuntime.Notes;
        report.Machine["threads"] = _threads;

        var convertClock = Stopwatch.StartNew();
        bool wasConverted = BertCheckpoint.IsCheckpointFolder(EmbeddedModel.CheckpointFolder(options.CacheRoot));
        EmbeddedModel.EnsureConverted(options.CacheRoot);
        if (!wasConverted)
            report.Notes.Add($"First use: converting the embedded ONNX into a checkpoint took {convertClock.Elapsed.TotalSeconds:F1} s (once per cache).");

        int? testLimit = Quick ? 800 : null;
        _testTexts = LabeledDataReader.ReadSplit(_dataDir, "test", new DataReadOptions(false, testLimit)).Rows.Select(r => r.Text).ToArray();

        bool Want(string section) => options.Sections is null || options.Sections.Contains(section);
        try
        {
            if (Want("accuracy")) await AccuracyAsync();
            if (Want("curve")) await LearningCurveAsync();
            if (Want("attention")) await AttentionAsync();
            if (Want("toplayer")) await TopLayerAsync();
            if (Want("poolings")) await AccuracyJoinedPoolingsAsync();
            if (Want("arctic")) await AccuracyArcticAsync();
        }
        finally
        {
            DisposeFeatureEngines();
            _featureSets.Clear();
        }
        if (Want("training")) await TrainingTimeAsync();
        if (Want("teach")) await TeachAsync();
        if (Want("bf16")) await Bf16AccuracyAsync();
        bool speed = Want("throughput") || Want("latency") || Want("process");
        if (speed)
        {
            using var fp32 = await OpenEngineAsync(Precision.Fp32);
            using var bf16 = await OpenEngineAsync(Precision.Bf16);
            // The fp32 encoder as it was before Core kept Linear weights column-major, to measure that change.
            using var rowMajor = TextEncoder.Load(fp32.Engine.Encoder.ModelFolder, fp32.Engine.Encoder.ModelName, Precision.Fp32, fp32.Engine.Encoder.MaxTokens);
            Speed.UseRowMajorLinearWeights(rowMajor.Model);
            if (Want("latency") && options.LatencyFirst) Latency(fp32.Engine, bf16.Engine, rowMajor);
            if (Want("throughput")) ThroughputMiniLm(fp32.Engine, bf16.Engine, rowMajor);
            if (Want("latency") && !options.LatencyFirst) Latency(fp32.Engine, bf16.Engine, rowMajor);
            if (Want("process") && !options.SkipProcess) ChildProcesses(fp32.MeanLinearHead);
        }
        if (Want("headload")) HeadLoad();
        if (Want("servedtop")) ServedTopLayers();
        if (Want("bertbase")) BertBase();
        if (!Want("process") || options.SkipProcess) report.Notes.Add("Child-process cold start and peak memory were skipped.");
        Stage("done");
        var loads = _stages.Select(o => (string?)o.GetType().GetProperty("load")!.GetValue(o))
            .Select(l => double.TryParse(l?.Split(' ')[0], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0).ToArray();
        if (loads.Length > 0)
            report.Notes.Add($"1-minute load average during the run: {loads.Min():F1}-{loads.Max():F1} on {Environment.ProcessorCount} CPUs" +
                             (loads.Max() > Environment.ProcessorCount + 0.5 ? " (other jobs were running: timings are noisy; throughput rows give the best of interleaved rounds)." : "."));
    }

    private sealed record EngineHandle(LabelingEngine Engine, string MeanLinearHead) : IDisposable
    {
        public void Dispose() => Engine.Dispose();
    }

    /// <summary>train.csv alone (10,429 rows): the speed sections' heads and the bf16 comparison need no more.</summary>
    private string CanonicalTrain => Path.Combine(_dataDir, "train.csv");

    /// <summary>
    /// An engine with a mean/linear head from the bench cache (trained there if missing) for the speed sections:
    /// they time the encoder and the head's cost, not its accuracy, so a head on a slice of train.csv serves.
    /// </summary>
    private async Task<EngineHandle> OpenEngineAsync(Precision precision)
    {
        Stage($"{precision} engine with a mean/linear head");
        var head = Path.Combine(_headsDir, $"{precision}-mean-linear-speed.head.json");
        var engine = await LabelingEngine.CreateAsync(new EngineSettings { CacheRoot = options.CacheRoot, HeadPath = head, Precision = precision, Threads = options.Threads });
        try
        {
            if (engine.HeadDescription is null)
                await engine.TrainAsync(new TrainRequest([CanonicalTrain], HeadKind.Linear, Pooling.Mean, Seed: 42, Limit: Quick ? 1000 : 2000, OutputHeadPath: head), null, default);
            return new EngineHandle(engine, head);
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    // ---------------------------------------------------------------- bf16 vs fp32 accuracy
    /// <summary>Mean/linear heads on fp32 and on bf16 features of train.csv, both evaluated on the test rows.</summary>
    private async Task Bf16AccuracyAsync()
    {
        const string section = "1b bf16 vs fp32";
        var sectionClock = Stopwatch.StartNew();
        int? trainLimit = Quick ? 1000 : null;
        int? testLimit = Quick ? 800 : null;
        var train = LabeledDataReader.ReadSplit(CanonicalTrain, "train", new DataReadOptions(false, trainLimit)).Rows.Select(r => r.Text).ToArray();
        var test = LabeledDataReader.ReadSplit(_dataDir, "test", new DataReadOptions(false, testLimit)).Rows.Select(r => r.Text).ToArray();
        var fp32Head = Path.Combine(_headsDir, "fp32-mean-linear-train-csv.head.json");
        var bf16Head = Path.Combine(_headsDir, "bf16-mean-linear-train-csv.head.json");

        Stage("bf16 section: fp32 engine, mean/linear on train.csv");
        using var fp32 = await LabelingEngine.CreateAsync(new EngineSettings { CacheRoot = options.CacheRoot, HeadPath = fp32Head, Precision = Precision.Fp32, Threads = options.Threads });
        await fp32.TrainAsync(new TrainRequest([CanonicalTrain], HeadKind.Linear, Pooling.Mean, Seed: 42, Limit: trainLimit, OutputHeadPath: fp32Head), null, default);
        var fp32Eval = await fp32.EvaluateAsync(new EvaluateRequest([_dataDir], Limit: testLimit), null, default);
        double fp32Acc = fp32Eval.Accuracy;

        Stage("bf16 engine");
        using var engine = await LabelingEngine.CreateAsync(new EngineSettings { CacheRoot = options.CacheRoot, HeadPath = bf16Head, Precision = Precision.Bf16, Threads = options.Threads });
        Stage("bf16 features: train, test");
        var trainClock = Stopwatch.StartNew();
        engine.ExtractFeatures(train, [Pooling.Mean]);
        trainClock.Stop();
        var testClock = Stopwatch.StartNew();
        var bfTest = engine.ExtractFeatures(test, [Pooling.Mean])[Pooling.Mean];
        testClock.Stop();
        report.Add(section, "feature extraction (mean), bf16", $"train+test ({train.Length + test.Length} texts; from the cache where present)",
            (train.Length + test.Length) / (trainClock.Elapsed + testClock.Elapsed).TotalSeconds, "texts/s",
            note: $"{(trainClock.Elapsed + testClock.Elapsed).TotalSeconds:F1} s");

        var trained = await engine.TrainAsync(new TrainRequest([CanonicalTrain], HeadKind.Linear, Pooling.Mean, Seed: 42, Limit: trainLimit, OutputHeadPath: bf16Head), null, default);
        var eval = await engine.EvaluateAsync(new EvaluateRequest([_dataDir], Limit: testLimit), null, default);
        report.Add(section, "test accuracy / macro-F1, head trained on bf16 features", $"mean, linear, train.csv ({train.Length} rows)", eval.Accuracy, "%",
            shown: $"{eval.Accuracy * 100:F2} % / {eval.MacroF1 * 100:F2} %",
            note: $"fp32: {fp32Acc * 100:F2} %; difference {(eval.Accuracy - fp32Acc) * 100:+0.00;-0.00} points; {trained.History.Count} epochs");

        // The fp32-trained head on bf16 features: could bf16 become the default without retraining heads?
        engine.UseHead(fp32Head);
        var cross = await engine.EvaluateAsync(new EvaluateRequest([_dataDir], Limit: testLimit), null, default);
        report.Add(section, "test accuracy, fp32-trained head on bf16 features", "mean, linear", cross.Accuracy, "%",
            note: $"{(cross.Accuracy - fp32Acc) * 100:+0.00;-0.00} points vs fp32 end to end");

        // How close the vectors are: cosine of bf16 vs fp32 mean features on the test texts (both from the cache).
        var fpTest = fp32.ExtractFeatures(test, [Pooling.Mean])[Pooling.Mean];
        var cosines = fpTest.Zip(bfTest, Stats.Cosine).ToArray();
        report.Add(section, "cosine(bf16, fp32) of mean features", $"test ({test.Length} texts)", cosines.Average(), "",
            shown: $"mean {cosines.Average():F5}, min {cosines.Min():F5}");
        SectionTime(section, sectionClock);
    }

    // ---------------------------------------------------------------- 2. throughput, MiniLM
    private string[] Sample(int count, int seed = 1234)
    {
        var random = new Random(seed);
        return _testTexts.OrderBy(_ => random.Next()).Take(Math.Min(count, _testTexts.Length)).ToArray();
    }

    private void ThroughputMiniLm(LabelingEngine fp32, LabelingEngine bf16, TextEncoder rowMajor)
    {
        const string section = "2 throughput MiniLM-L6";
        int n = Quick ? 200 : 1000;
        int naiveN = Quick ? 32 : 320;
        int rounds = Quick ? 2 : 4;
        var sample = Sample(n);
        var naiveSample = sample.Take(naiveN).ToArray();
        var tokens = fp32.Encoder.Tokenizer.EncodeBatch(sample, fp32.Encoder.MaxTokens).Select(e => e.Length).ToArray();
        report.Details["throughputSample"] = new { texts = n, naiveTexts = naiveN, meanTokens = tokens.Average(), maxTokens = tokens.Max(), seed = 1234, rounds };
        string what = $"{n} test texts (mean {tokens.Average():F0} tokens)";

        var onnxBytes = EmbeddedPackage.Locate().ReadModelOnnx();
        using var peer = new OnnxPeer(onnxBytes, fp32.Encoder.Tokenizer, _threads) { MaxTokens = fp32.Encoder.MaxTokens };
        using var peer1 = new OnnxPeer(onnxBytes, fp32.Encoder.Tokenizer, 1) { MaxTokens = fp32.Encoder.MaxTokens };
        report.Details["onnxGraph"] = peer.Describe();

        Action<IReadOnlyList<string>> Ours(TextEncoder encoder, int budget = 2048, int maxBatch = 64, int? threads = null) => t =>
        {
            if (threads is int th) torch.set_num_threads(th);
            try
            {
                Speed.WithBatchShape(encoder, budget, maxBatch, () => encoder.Encode(t, [Pooling.Mean]));
            }
            finally
            {
                if (threads is not null) torch.set_num_threads(_threads);
            }
        };
        var budgets = Quick ? new[] { (512, 64), (4096, 128) } : new[] { (512, 64), (1024, 64), (4096, 128), (8192, 256) };
        var configs = new List<(string, Action<IReadOnlyList<string>>)>
        {
            ("fp32", Ours(fp32.Encoder)),
            ("bf16", Ours(bf16.Encoder)),
            ("peer", t => peer.EncodeMean(t)),
            ("fp32 row-major", Ours(rowMajor)),
        };
        foreach (var (budget, maxBatch) in budgets)
        {
            configs.Add(($"fp32 {budget}", Ours(fp32.Encoder, budget, maxBatch)));
            configs.Add(($"bf16 {budget}", Ours(bf16.Encoder, budget, maxBatch)));
        }
        if (_threads > 1)
        {
            configs.Add(("fp32 1 thread", Ours(fp32.Encoder, threads: 1)));
            configs.Add(("bf16 1 thread", Ours(bf16.Encoder, threads: 1)));
            configs.Add(("peer 1 thread", t => peer1.EncodeMean(t)));
        }
        Stage($"throughput: {configs.Count} configurations, {rounds} interleaved rounds after a warm-up round");
        var r = Speed.Interleaved(sample, configs, rounds);
        report.Details["throughputRounds"] = r.Values;
        var ours = r["fp32"];
        var oursBf = r["bf16"];
        var peerRate = r["peer"];
        report.Add(section, "ours: TextEncoder.Encode, fp32", what, ours.Best, "texts/s", note: $"length-sorted, dynamic padding, 2048-token batches; {ours.Spread}");
        report.Add(section, "ours: TextEncoder.Encode, bf16", what, oursBf.Best, "texts/s", note: $"{oursBf.Best / ours.Best:F2}x fp32; {oursBf.Spread}");

        Stage("throughput: naive (pad to 500, batch 16)");
        var naive = Speed.Throughput(naiveSample, t => Speed.NaiveEncode(fp32.Encoder.Model, fp32.Encoder.Tokenizer, t), warmup: 16);
        report.Add(section, "naive: every text padded to 500, batch 16, fp32", $"first {naiveN} of the sample", naive.TextsPerSecond, "texts/s",
            note: $"ours fp32 {ours.Best / naive.TextsPerSecond:F1}x, ours bf16 {oursBf.Best / naive.TextsPerSecond:F1}x faster");
        // The naive path's mean vectors must match ours (padding is masked out): a check that the speed-up is free.
        var check = naiveSample.Take(16).ToArray();
        var a = Speed.NaiveEncode(fp32.Encoder.Model, fp32.Encoder.Tokenizer, check);
        var b = fp32.Encoder.Encode(check, [Pooling.Mean]).ByPooling[Pooling.Mean];
        report.Details["naiveVsOursMaxAbsDiff"] = a.Zip(b, Stats.MaxAbsDiff).Max();

        report.Add(section, $"peer: ONNX Runtime 1.31.1, fp32, {_threads} threads", what, peerRate.Best, "texts/s",
            note: $"same tokenizer, same length-sorted batches, mean-pooled in C#; {peerRate.Spread}");
        report.Add(section, "ours / peer", "ours fp32 vs peer fp32", ours.Best / peerRate.Best, "x");
        report.Add(section, "ours / peer", "ours bf16 vs peer fp32", oursBf.Best / peerRate.Best, "x");
        var peerVectors = peer.EncodeMean(sample.Take(64).ToArray());
        var ourVectors = fp32.Encoder.Encode(sample.Take(64).ToArray(), [Pooling.Mean]).ByPooling[Pooling.Mean];
        report.Details["peerVsOursMaxAbsDiff"] = peerVectors.Zip(ourVectors, Stats.MaxAbsDiff).Max();
        report.Details["peerVsOursMinCosine"] = peerVectors.Zip(ourVectors, Stats.Cosine).Min();

        var before = r["fp32 row-major"];
        report.Add(section, "ours fp32, Linear weights row-major (before the Core change)", what, before.Best, "texts/s",
            note: $"column-major (now) gives {ours.Best / before.Best:F2}x; {before.Spread}");
        foreach (var (budget, maxBatch) in budgets)
        {
            var f = r[$"fp32 {budget}"];
            var h = r[$"bf16 {budget}"];
            report.Add(section, $"ours, batch token budget {budget}, max batch {maxBatch}", "fp32 / bf16", f.Best, "texts/s",
                shown: $"{f.Best:F1} / {h.Best:F1} texts/s",
                note: $"{f.Best / ours.Best:F2}x / {h.Best / oursBf.Best:F2}x the default 2048/64");
        }
        if (_threads > 1)
        {
            var (one, oneBf, onePeer) = (r["fp32 1 thread"], r["bf16 1 thread"], r["peer 1 thread"]);
            report.Add(section, "1 thread: ours fp32 / ours bf16 / peer", what, one.Best, "texts/s",
                shown: $"{one.Best:F1} / {oneBf.Best:F1} / {onePeer.Best:F1} texts/s",
                note: $"{_threads} threads give {ours.Best / one.Best:F2}x / {oursBf.Best / oneBf.Best:F2}x / {peerRate.Best / onePeer.Best:F2}x");
        }
    }

    // ---------------------------------------------------------------- 3. single-text latency
    private void Latency(LabelingEngine fp32, LabelingEngine bf16, TextEncoder rowMajor)
    {
        const string section = "3 latency, one ~60-token text";
        int tokens = fp32.Encoder.Tokenizer.Encode(Paragraph, fp32.Encoder.MaxTokens).Length;
        report.Details["latencyParagraph"] = new { text = Paragraph, tokens };
        int warmup = Quick ? 5 : 20, runs = Quick ? 30 : 200;
        string setting = $"{tokens} tokens, {runs} runs";
        using var peer = new OnnxPeer(EmbeddedPackage.Locate().ReadModelOnnx(), fp32.Encoder.Tokenizer, _threads) { MaxTokens = fp32.Encoder.MaxTokens };

        Stage("latency (calls interleaved)");
        // engine.Classify answers a text it has seen from its prediction cache: each call gets a text of its own.
        int call = 0;
        string Fresh() => $"{Paragraph} ({++call})";
        var ms = Speed.InterleavedLatencies(
        [
            ("fp32", () => fp32.Classify([Fresh()])),
            ("bf16", () => bf16.Classify([Fresh()])),
            ("fp32 encoder", () => fp32.Encoder.Encode([Paragraph], [Pooling.Mean])),
            ("bf16 encoder", () => bf16.Encoder.Encode([Paragraph], [Pooling.Mean])),
            ("peer", () => peer.EncodeMean([Paragraph])),
            ("fp32 encoder row-major", () => rowMajor.Encode([Paragraph], [Pooling.Mean])),
        ], warmup, runs);
        report.Details["latencyMs"] = ms;

        void Add(string measure, List<double> sample, string note = "") =>
            report.Add(section, measure, setting, Stats.Median(sample), "ms", shown: $"p50 {Stats.Median(sample):F1} ms, p95 {Stats.Percentile(sample, 95):F1} ms", note: note);
        Add("ours: engine.Classify (tokenize, encode, head), fp32", ms["fp32"]);
        Add("ours: engine.Classify, bf16", ms["bf16"]);
        Add("ours: TextEncoder.Encode only, fp32", ms["fp32 encoder"]);
        Add("ours: TextEncoder.Encode only, fp32, Linear weights row-major (before the Core change)", ms["fp32 encoder row-major"],
            note: $"column-major (now) p50 is {Stats.Median(ms["fp32 encoder row-major"]) / Stats.Median(ms["fp32 encoder"]):F2}x faster");
        Add("ours: TextEncoder.Encode only, bf16", ms["bf16 encoder"]);
        Add("peer: ONNX Runtime (tokenize, run, mean), fp32", ms["peer"],
            note: $"ours encoder-only fp32 p50 is {Stats.Median(ms["fp32 encoder"]) / Stats.Median(ms["peer"]):F2}x the peer's");
    }

    // ---------------------------------------------------------------- 2b. bert-base shape, random weights
    private void BertBase()
    {
        const string section = "2b throughput bert-base (random weights)";
        var folder = Path.Combine(CacheFolders.Models(options.CacheRoot), "bert-base-uncased-shape-random");
        if (!BertCheckpoint.IsCheckpointFolder(folder))
        {
            Stage("writing a random bert-base checkpoint");
            torch.random.manual_seed(0);
            using var random = new BertModel(BertConfig.BertBase);
            var vocab = BertWordPieceTokenizerVocab();
            using var scope = NewDisposeScope();
            BertCheckpoint.Save(folder, BertConfig.BertBase, random.state_dict(), vocab, lowerCase: true);
        }
        int n = Quick ? 48 : 200, naiveN = Quick ? 16 : 32;
        var sample = Sample(n);
        Stage("bert-base: loading fp32 and bf16");
        using var fp32 = TextEncoder.Load(folder, "bert-base-uncased (random weights)", Precision.Fp32, 128);
        using var bf16 = TextEncoder.Load(folder, "bert-base-uncased (random weights)", Precision.Bf16, 128);
        Stage("bert-base: fp32 and bf16, interleaved rounds");
        var r = Speed.Interleaved(sample, [("fp32", t => fp32.Encode(t, [Pooling.Mean])), ("bf16", t => bf16.Encode(t, [Pooling.Mean]))], Quick ? 2 : 3);
        var (ours, oursBf) = (r["fp32"], r["bf16"]);
        report.Add(section, "ours: TextEncoder.Encode, fp32", $"{n} test texts", ours.Best, "texts/s", note: ours.Spread);
        Stage("bert-base: naive");
        var naive = Speed.Throughput(sample.Take(naiveN).ToArray(), t => Speed.NaiveEncode(fp32.Model, fp32.Tokenizer, t), warmup: 1);
        report.Add(section, "naive: padded to 500, batch 16, fp32", $"first {naiveN} of the sample", naive.TextsPerSecond, "texts/s",
            note: $"ours fp32 {ours.Best / naive.TextsPerSecond:F1}x faster");
        report.Add(section, "ours: TextEncoder.Encode, bf16", $"{n} test texts", oursBf.Best, "texts/s",
            note: $"{oursBf.Best / ours.Best:F2}x fp32, {oursBf.Best / naive.TextsPerSecond:F1}x naive; {oursBf.Spread}");

        int runs = Quick ? 10 : 40;
        using var rowMajor = TextEncoder.Load(folder, "bert-base-uncased (random weights)", Precision.Fp32, 128);
        Speed.UseRowMajorLinearWeights(rowMajor.Model);
        var ms = Speed.InterleavedLatencies(
        [
            ("fp32", () => fp32.Encode([Paragraph], [Pooling.Mean])),
            ("bf16", () => bf16.Encode([Paragraph], [Pooling.Mean])),
            ("fp32 row-major", () => rowMajor.Encode([Paragraph], [Pooling.Mean])),
        ], 3, runs);
        report.Add(section, "latency, one ~60-token text, encoder only", "fp32 / bf16", Stats.Median(ms["fp32"]), "ms",
            shown: $"p50 {Stats.Median(ms["fp32"]):F1} / {Stats.Median(ms["bf16"]):F1} ms, p95 {Stats.Percentile(ms["fp32"], 95):F1} / {Stats.Percentile(ms["bf16"], 95):F1} ms",
            note: $"fp32 with row-major Linear weights (before the Core change): p50 {Stats.Median(ms["fp32 row-major"]):F1} ms");
    }

    private string[] BertWordPieceTokenizerVocab() =>
        Text.BertWordPieceTokenizer.ReadVocabFile(Path.Combine(EmbeddedModel.CheckpointFolder(options.CacheRoot), BertCheckpoint.VocabFile));

    // ---------------------------------------------------------------- 4/5. cold start and peak memory of the CLI
    private void ChildProcesses(string headPath)
    {
        const string section = "4 process: agnews classify";
        var repo = Machine.RepoRoot() ?? throw new InvalidOperationException("Cannot find the repository root (AgNewsLsp.sln).");
        var binDir = Path.Combine(repo, "server", "AgNewsLsp.Server", "bin", "Release", "net10.0", "linux-x64");
        if (!File.Exists(Path.Combine(binDir, "agnews.dll")))
        {
            Stage("building the server (Release)");
            Run("dotnet", ["build", Path.Combine(repo, "server", "AgNewsLsp.Server"), "-c", "Release", "-v", "quiet"], TimeSpan.FromMinutes(5));
        }
        var apphost = Path.Combine(binDir, "agnews");
        bool useApphost = File.Exists(apphost);
        string exe = useApphost ? apphost : "dotnet";
        string[] Args(params string[] rest) => useApphost ? rest : [Path.Combine(binDir, "agnews.dll"), .. rest];
        bool haveTime = File.Exists("/usr/bin/time");

        (double Seconds, double? PeakMiB, string Output) Measure(string[] args)
        {
            var psi = new ProcessStartInfo(haveTime ? "/usr/bin/time" : exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            if (haveTime) { psi.ArgumentList.Add("-v"); psi.ArgumentList.Add(exe); }
            foreach (var a in args) psi.ArgumentList.Add(a);
            var clock = Stopwatch.StartNew();
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            // Fallback when /usr/bin/time is missing: sample the child's VmHWM (its peak RSS so far).
            double? sampled = null;
            while (!p.WaitForExit(20))
                if (!haveTime && ReadVmHwmKiB(p.Id) is long kib) sampled = Math.Max(sampled ?? 0, kib / 1024.0);
            clock.Stop();
            var err = stderr.Result;
            if (p.ExitCode != 0) throw new InvalidOperationException($"agnews {string.Join(' ', args)} failed ({p.ExitCode}): {err}");
            double? peak = sampled;
            var line = err.Split('\n').FirstOrDefault(l => l.Contains("Maximum resident set size", StringComparison.Ordinal));
            if (line is not null && long.TryParse(line.Split(':')[1].Trim(), out var kb)) peak = kb / 1024.0;
            return (clock.Elapsed.TotalSeconds, peak, stdout.Result.Trim());
        }

        string[] common = ["--cache", options.CacheRoot, "--head", headPath, "--quiet"];
        Stage("cold start: one untimed run (disk cache, ELF patch check)");
        Measure(Args(["classify", .. common, Paragraph]));
        int runs = Quick ? 2 : 5;
        var fp32 = Enumerable.Range(0, runs).Select(_ => Measure(Args(["classify", .. common, Paragraph]))).ToList();
        var wall = fp32.Select(r => r.Seconds).ToList();
        report.Add(section, "process start to answer (wall), fp32", $"{runs} runs, model converted and cached", Stats.Median(wall), "s",
            shown: $"median {Stats.Median(wall):F2} s, min {wall.Min():F2} s",
            note: $"answer: {fp32[0].Output.Split('\t')[0]}; {(useApphost ? "apphost agnews" : "dotnet agnews.dll")}");
        report.Add(section, "peak RSS (VmHWM) of that process, fp32", haveTime ? "/usr/bin/time -v" : "sampled /proc/PID/status", fp32.Select(r => r.PeakMiB ?? double.NaN).Max(), "MiB");

        var bf = Enumerable.Range(0, Quick ? 1 : 3).Select(_ => Measure(Args(["classify", .. common, "--precision", "bf16", Paragraph]))).ToList();
        report.Add(section, "process start to answer (wall), bf16", $"{bf.Count} runs", Stats.Median(bf.Select(r => r.Seconds).ToList()), "s",
            shown: $"median {Stats.Median(bf.Select(r => r.Seconds).ToList()):F2} s",
            note: $"peak RSS {bf.Select(r => r.PeakMiB ?? double.NaN).Max():F0} MiB (weights cast to bf16 after loading fp32)");

        var info = Measure(Args(["model", "info", "--cache", options.CacheRoot, "--head", headPath, "--quiet"]));
        report.Add(section, "agnews model info: wall / peak RSS", "loads model and head, no inference", info.Seconds, "s",
            shown: $"{info.Seconds:F2} s / {info.PeakMiB:F0} MiB");
    }

    private static long? ReadVmHwmKiB(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private static void Run(string file, string[] args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        if (!p.WaitForExit(timeout)) { p.Kill(entireProcessTree: true); throw new TimeoutException($"{file} {string.Join(' ', args)} timed out."); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}).");
    }
}
