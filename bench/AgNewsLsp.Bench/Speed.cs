using System.Diagnostics;
using System.Reflection;
using AgNewsLsp.Native;
using AgNewsLsp.Features;
using AgNewsLsp.Model;
using AgNewsLsp.Model.Checkpoints;
using AgNewsLsp.Text;
using static TorchSharp.torch;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Bench;

public static class Speed
{
    /// <summary>Texts per second of one call over all texts, after a short untimed warm-up on the first few.</summary>
    public static (double TextsPerSecond, double Seconds) Throughput(IReadOnlyList<string> texts, Action<IReadOnlyList<string>> encode, int warmup = 16)
    {
        encode(texts.Take(Math.Min(warmup, texts.Count)).ToArray());
        GC.Collect();
        var clock = Stopwatch.StartNew();
        encode(texts);
        clock.Stop();
        return (texts.Count / clock.Elapsed.TotalSeconds, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Throughput of one configuration over interleaved rounds.</summary>
    public sealed record Rate(string Name, double Median, double Min, double Max, double[] Rounds)
    {
        /// <summary>The best round: the least disturbed by other processes on a shared machine.</summary>
        public double Best => Max;
        public string Spread => $"best of {Rounds.Length} rounds; median {Median:F1}, worst {Min:F1}";
    }

    /// <summary>
    /// Texts per second of several configurations, measured in interleaved rounds (A B C, A B C, ...) so that
    /// load from other processes and warm-up effects hit every configuration alike. The first round is an
    /// untimed warm-up (it creates every batch shape's kernels); the best timed round is the headline.
    /// </summary>
    public static Dictionary<string, Rate> Interleaved(IReadOnlyList<string> texts, IReadOnlyList<(string Name, Action<IReadOnlyList<string>> Encode)> configs, int rounds)
    {
        var samples = configs.ToDictionary(c => c.Name, _ => new List<double>());
        for (int round = 0; round <= rounds; round++)
            foreach (var (name, encode) in configs)
            {
                GC.Collect();
                var clock = Stopwatch.StartNew();
                encode(texts);
                clock.Stop();
                if (round > 0) samples[name].Add(texts.Count / clock.Elapsed.TotalSeconds);
            }
        return samples.ToDictionary(kv => kv.Key, kv => new Rate(kv.Key, Stats.Median(kv.Value), kv.Value.Min(), kv.Value.Max(), kv.Value.ToArray()));
    }

    /// <summary>
    /// Milliseconds per call for several configurations, in interleaved blocks (A x k, B x k, ..., repeated) so
    /// that load from other processes hits every configuration alike. Each block starts with untimed calls:
    /// the previous configuration's threads may still be spinning (ONNX Runtime's pool spins after a run),
    /// and its weights have just left the caches.
    /// </summary>
    public static Dictionary<string, List<double>> InterleavedLatencies(IReadOnlyList<(string Name, Action Call)> configs, int warmup, int runs, int blocks = 5)
    {
        foreach (var (_, call) in configs)
            for (int i = 0; i < warmup; i++) call();
        var result = configs.ToDictionary(c => c.Name, _ => new List<double>(runs));
        int perBlock = Math.Max(1, runs / blocks);
        for (int block = 0; block < blocks; block++)
            foreach (var (name, call) in configs)
            {
                for (int i = 0; i < 3; i++) call();
                for (int i = 0; i < perBlock; i++)
                {
                    var clock = Stopwatch.StartNew();
                    call();
                    result[name].Add(clock.Elapsed.TotalMilliseconds);
                }
            }
        return result;
    }

    /// <summary>Milliseconds per call, after warm-up calls.</summary>
    public static List<double> Latencies(Action call, int warmup, int runs)
    {
        for (int i = 0; i < warmup; i++) call();
        var result = new List<double>(runs);
        for (int i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            call();
            result.Add(clock.Elapsed.TotalMilliseconds);
        }
        return result;
    }

    /// <summary>
    /// The original notebook's path: every text truncated/padded to a fixed 500 tokens, batches of 16 in
    /// input order, through the same BertModel.Forward, mean-pooled. Returns the pooled vectors.
    /// </summary>
    public static float[][] NaiveEncode(BertModel model, BertWordPieceTokenizer tokenizer, IReadOnlyList<string> texts, int padTo = 500, int batchSize = 16) =>
        TorchThread.Shared.Run(() => NaiveEncodeHere(model, tokenizer, texts, padTo, batchSize), TorchPriority.Interactive);

    private static float[][] NaiveEncodeHere(BertModel model, BertWordPieceTokenizer tokenizer, IReadOnlyList<string> texts, int padTo, int batchSize)
    {
        var encoded = tokenizer.EncodeBatch(texts, padTo);
        var result = new float[texts.Count][];
        for (int start = 0; start < texts.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, texts.Count - start);
            var ids = new long[n * padTo];
            var mask = new long[n * padTo];
            for (int r = 0; r < n; r++)
            {
                var e = encoded[start + r];
                for (int c = 0; c < padTo; c++)
                {
                    bool real = c < e.Length;
                    ids[r * padTo + c] = real ? e.Ids[c] : tokenizer.PadId;
                    mask[r * padTo + c] = real ? 1 : 0;
                }
            }
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var idTensor = tensor(ids, [n, padTo]);
            var maskTensor = tensor(mask, [n, padTo]);
            using var output = model.Forward(idTensor, maskTensor, 0);
            var pooled = PoolingLayer.Apply(Pooling.Mean, output, maskTensor);
            int dim = (int)pooled.shape[1];
            var flat = pooled.data<float>().ToArray();
            for (int r = 0; r < n; r++) result[start + r] = flat.AsSpan(r * dim, dim).ToArray();
        }
        return result;
    }

    /// <summary>
    /// Undoes BertModel.UseColumnMajorLinearWeights (plain row-major [out, in] weights, as loaded): the layout
    /// the encoder had before that change, kept to measure what it bought.
    /// </summary>
    public static void UseRowMajorLinearWeights(BertModel model)
    {
        using var noGrad = no_grad();
        foreach (var (_, module) in model.named_modules())
            if (module is TorchSharp.Modules.Linear linear && linear.weight is { } weight && !weight.is_contiguous())
                linear.weight = new TorchSharp.Modules.Parameter(weight.contiguous(), requires_grad: false);
    }

    /// <summary>
    /// Runs <paramref name="body"/> with the encoder's batch shape changed (the properties are init-only:
    /// the bench sets them through reflection to sweep them without touching Core), then restores them.
    /// </summary>
    public static T WithBatchShape<T>(TextEncoder encoder, int tokenBudget, int maxBatch, Func<T> body)
    {
        var budget = typeof(TextEncoder).GetProperty(nameof(TextEncoder.BatchTokenBudget), BindingFlags.Public | BindingFlags.Instance)!;
        var size = typeof(TextEncoder).GetProperty(nameof(TextEncoder.MaxBatchSize), BindingFlags.Public | BindingFlags.Instance)!;
        var (oldBudget, oldSize) = (encoder.BatchTokenBudget, encoder.MaxBatchSize);
        budget.SetValue(encoder, tokenBudget);
        size.SetValue(encoder, maxBatch);
        try
        {
            return body();
        }
        finally
        {
            budget.SetValue(encoder, oldBudget);
            size.SetValue(encoder, oldSize);
        }
    }
}

public sealed partial class BenchRun
{
    // ---------------------------------------------------------------- 2d. loading the shipped head
    /// <summary>
    /// What a server start or a Select Model pays for the head: reading and checking the shipped head file
    /// (HeadFile.Load) and building its modules from it (CreateHead), each the median of 7 rounds after one untimed.
    /// </summary>
    private void HeadLoad()
    {
        const string section = "2d head load";
        var path = Engine.LabelingEngine.ShippedHeadPath;
        var read = new List<double>();
        var create = new List<double>();
        for (int round = 0; round <= 7; round++)
        {
            var clock = Stopwatch.StartNew();
            var file = Training.HeadFile.Load(path);
            double readMs = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            TorchThread.Shared.Run(() => file.CreateHead().Dispose(), TorchPriority.Background);
            double createMs = clock.Elapsed.TotalMilliseconds;
            if (round == 0) continue;
            read.Add(readMs);
            create.Add(createMs);
        }
        double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        var head = Training.HeadFile.Load(path);
        string what = $"{Path.GetFileName(path)} ({head.Kind.Name()}, {new FileInfo(path).Length / 1e6:F1} MB)";
        report.Add(section, "HeadFile.Load (read, decode, check)", what, Median(read), "ms", note: $"min {read.Min():F0}, max {read.Max():F0}");
        report.Add(section, "CreateHead (modules from the file)", what, Median(create), "ms", note: $"min {create.Min():F0}, max {create.Max():F0}");
        report.Add(section, "head load, total", what, Median(read.Zip(create, (a, b) => a + b).ToList()), "ms");
    }

    // ---------------------------------------------------------------- 3b. the shipped head's top layers, one text
    /// <summary>
    /// What a hover with the shipped head costs in-process, by part: the encoder's pass alone (the frozen layers), and
    /// with the head's trained top layers as training leaves them (float32, row-major) and as the engine serves them
    /// (<see cref="Model.TopLayers.PrepareForServing"/>: the encoder's precision and layout). One text at a time on one
    /// libtorch thread, as a hover runs; the hover bench's texts (the first 50 of the test split).
    /// </summary>
    private void ServedTopLayers()
    {
        const string section = "3b latency, the shipped head's top layers, one text";
        var file = Training.HeadFile.Load(Engine.LabelingEngine.ShippedHeadPath);
        if (file.TopLayers is null) throw new InvalidOperationException("The shipped head has no top layers to time.");
        var texts = _testTexts.Take(50).ToArray();
        int runs = Quick ? 50 : 200, warmup = Quick ? 10 : 50;
        foreach (var precision in new[] { Precision.Fp32, Precision.Bf16 })
        {
            Stage($"shipped head's top layers, {precision.Name()}");
            // Made and disposed on the torch thread, as the engine does with every libtorch object.
            var (encoder, asTrained, served) = TorchThread.Shared.Run(() =>
            {
                var e = TextEncoder.Load(EmbeddedModel.EnsureConverted(options.CacheRoot), EmbeddedEncoder.MiniLm.ModelName, precision);
                var trained = file.CreateHead();
                trained.eval();
                var ready = file.CreateHead();
                ready.PrepareForServing(precision);
                return (e, trained, ready);
            }, TorchPriority.Interactive);
            try
            {
                int next = 0;
                Action OneText(Model.TopLayers? top) => () =>
                {
                    var text = texts[next++ % texts.Length];
                    TorchThread.Shared.Run(() => TorchThread.Shared.SingleThreaded(() => encoder.Encode([text], [file.Pooling], top: top)), TorchPriority.Interactive);
                };
                // The encoder's pass as it was before the [CLS]-only last layer: every layer on every token.
                Action FullLastLayer() => () =>
                {
                    var text = texts[next++ % texts.Length];
                    TorchThread.Shared.Run(() => TorchThread.Shared.SingleThreaded(() =>
                    {
                        using var scope = NewDisposeScope();
                        using var noGrad = no_grad();
                        var (ids, mask, width) = encoder.Tokenizer.Pad(encoder.Tokenizer.EncodeBatch([text], encoder.MaxTokens));
                        var maskTensor = tensor(mask, [1, width]);
                        using var output = encoder.Model.Forward(tensor(ids, [1, width]), maskTensor, PoolingLayer.ClsLayersNeeded([file.Pooling]));
                        return PoolingLayer.Apply(file.Pooling, output, maskTensor).data<float>().ToArray();
                    }), TorchPriority.Interactive);
                };
                var ms = Speed.InterleavedLatencies(
                [
                    ("encoder, full last layer", FullLastLayer()),
                    ("encoder", OneText(null)),
                    ("as trained", OneText(asTrained.Top)),
                    ("served", OneText(served.Top)),
                ], warmup, runs);
                report.Details[$"servedTopLayersMs{precision.Name()}"] = ms;
                string setting = $"{precision.Name()} encoder, {texts.Length} test texts, {runs} runs";
                string Shown(List<double> v) => $"p50 {Stats.Median(v):F1} ms, p95 {Stats.Percentile(v, 95):F1} ms";
                report.Add(section, "encoder pass alone, every layer on every token (before)", setting, Stats.Median(ms["encoder, full last layer"]), "ms",
                    shown: Shown(ms["encoder, full last layer"]));
                report.Add(section, "encoder pass alone, the last layer on [CLS] only (now; cls-last4)", setting, Stats.Median(ms["encoder"]), "ms", shown: Shown(ms["encoder"]),
                    note: $"p50 {Stats.Median(ms["encoder, full last layer"]) - Stats.Median(ms["encoder"]):F1} ms less");
                report.Add(section, "with the top layers as trained (float32, row-major)", setting, Stats.Median(ms["as trained"]), "ms", shown: Shown(ms["as trained"]));
                report.Add(section, "with the top layers as served", setting, Stats.Median(ms["served"]), "ms", shown: Shown(ms["served"]),
                    note: $"the top layers' p50 cost {Stats.Median(ms["as trained"]) - Stats.Median(ms["encoder"]):F1} -> {Stats.Median(ms["served"]) - Stats.Median(ms["encoder"]):F1} ms");
            }
            finally
            {
                TorchThread.Shared.Run(() => { served.Dispose(); asTrained.Dispose(); encoder.Dispose(); }, TorchPriority.Interactive);
            }
        }
    }
}
