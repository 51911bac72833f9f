using System.Diagnostics;
using AgNewsLsp.Data;
using AgNewsLsp.Evaluation;
using AgNewsLsp.Features;
using AgNewsLsp.Model;
using AgNewsLsp.Native;
using AgNewsLsp.Training;
using AgNewsLsp.Progress;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Engine;

/// <summary>
/// The engine every front uses: a frozen encoder and the current head, kept in memory. Classify is
/// safe while training runs (it uses the head in place at the time); a finished training run saves
/// its head atomically and then swaps it in; a failed or cancelled one changes nothing.
/// </summary>
public sealed partial class LabelingEngine : ILabelingEngine, IDisposable
{
    /// <summary>Where the shipped default head for the embedded model sits beside the app.</summary>
    public static string ShippedHeadPath => Path.Combine(AppContext.BaseDirectory, "heads", "minilm-default.head.json");

    /// <summary>A head in use, with the latest metrics measured for it (its validation report until evaluated).</summary>
    private sealed class LoadedHead(HeadFile file, ClassifierHead module, string path)
    {
        /// <summary>What the head file says of the head (kind, pooling, classes, validation); its tensors live in <see cref="Module"/>, so
        /// the stored copies are dropped.</summary>
        public HeadFile Description { get; } = file with { Tensors = [] };
        /// <summary>The module that computes the probabilities.</summary>
        public ClassifierHead Module { get; } = module;
        public string Path { get; } = path;
        public volatile EvaluationReport? Metrics = file.Validation;
        /// <summary>What <see cref="Metrics"/> measured: null for the head's own validation rows, else the evaluated data.</summary>
        public volatile string? MetricsData;
        /// <summary>This head's predictions by text; a new head starts with an empty one.</summary>
        public PredictionCache Predictions { get; } = new();

        // The module's native memory goes back when the head is replaced, not when a finalizer gets to it; but only once
        // no request still computes with it (a hover that took the head just before the swap).
        private readonly Lock _gate = new();
        private int _users;
        private bool _retired;

        /// <summary>Counts a user of the module; false once the head is replaced (take the current one instead).</summary>
        public bool TryAcquire()
        {
            lock (_gate)
            {
                if (_retired) return false;
                _users++;
                return true;
            }
        }

        public void Release()
        {
            lock (_gate)
                if (--_users > 0 || !_retired) return;
            DisposeModule();
        }

        /// <summary>The head was replaced: its module is disposed now, or when its last user is done.</summary>
        public void Retire()
        {
            lock (_gate)
            {
                if (_retired) return;
                _retired = true;
                if (_users > 0) return;
            }
            DisposeModule();
        }

        /// <summary>Set when the module has been disposed (tests).</summary>
        public Task Disposed => _disposed.Task;
        private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        // On the torch thread, without waiting for it: the caller may be a hover, and a training batch may hold the thread.
        private void DisposeModule() => _ = Task.Run(() =>
        {
            TorchThread.Shared.Run(Module.Dispose, TorchPriority.Background);
            _disposed.TrySetResult();
        });
    }

    /// <summary>The current head, counted as in use until the lease is disposed (see <see cref="LoadedHead.Retire"/>).</summary>
    private readonly struct HeadLease(LoadedHead head) : IDisposable
    {
        public LoadedHead Head { get; } = head;
        public void Dispose() => Head.Release();
    }

    private HeadLease LeaseHead()
    {
        while (true)
        {
            var head = _head ?? throw new NoHeadException(_encoder.ModelName);
            if (head.TryAcquire()) return new HeadLease(head);
        }
    }

    /// <summary>Puts <paramref name="next"/> in use and retires the head it replaces.</summary>
    private void SwapHead(LoadedHead next) => Interlocked.Exchange(ref _head, next)?.Retire();

    /// <summary>Completes when the module of the head now served has been disposed after a swap (tests).</summary>
    internal Task ServedHeadDisposed => _head?.Disposed ?? Task.CompletedTask;

    private readonly TextEncoder _encoder;
    private readonly FeatureExtractor _features;
    private readonly EngineSettings _options;
    private readonly string _cacheRoot;
    private volatile LoadedHead? _head;
    private int _training;
    private Task _trainingRun = Task.CompletedTask;

    public ResolvedModel ResolvedModel { get; }
    public TextEncoder Encoder => _encoder;
    public string? HeadPath => _head?.Path;
    /// <summary>The served head as its file describes it (kind, pooling, classes, validation), without its tensors.</summary>
    public HeadFile? HeadDescription => _head?.Description;

    /// <summary>The module answering, for tests of how it is laid out.</summary>
    internal ClassifierHead? ServedHead => _head?.Module;

    private LabelingEngine(TextEncoder encoder, ResolvedModel model, EngineSettings options, string cacheRoot)
    {
        _encoder = encoder;
        _options = options;
        _cacheRoot = cacheRoot;
        ResolvedModel = model;
        _features = new FeatureExtractor(encoder, CacheFolders.Features(cacheRoot));
    }

    /// <param name="loadHead">
    /// False for an engine that will train the head it would load (a training run of the command line): the head is not
    /// read, prepared or checked against the model, since the run replaces it.
    /// </param>
    public static async Task<LabelingEngine> CreateAsync(EngineSettings options, IProgress<WorkProgress>? progress = null,
        IProgress<string>? log = null, CancellationToken cancellationToken = default, bool loadHead = true)
    {
        TorchRuntime.EnsureInitialized(options.Threads);
        // Bad settings fail here, with their names, not later inside a status or hover request.
        EngineSettings.CheckMaxTokens(options.MaxTokens);
        var cacheRoot = options.CacheRoot ?? CacheFolders.Root;
        var model = await new ModelResolver(cacheRoot, progress: progress, log: log).ResolveAsync(options.Model, cancellationToken);
        var prefetched = loadHead ? PrefetchedHead.Start(options.HeadPath, CacheFolders.Heads(cacheRoot), model) : null;
        // Load on the torch thread too: every thread that touches libtorch gets an OpenMP team of its own.
        return TorchThread.Shared.Run(() =>
        {
            var encoder = TextEncoder.Load(model.Folder, model.Name, options.Precision, options.MaxTokens);
            var engine = new LabelingEngine(encoder, model, options, cacheRoot);
            try
            {
                if (loadHead) engine.LoadInitialHead(log, prefetched);
                return engine;
            }
            catch
            {
                engine.Dispose();
                throw;
            }
        }, TorchPriority.Interactive, cancellationToken);
    }


    private string DefaultUserHeadPath => Path.Combine(CacheFolders.Heads(_cacheRoot), $"{_encoder.Fingerprint}.head.json");

    public EngineStatus GetStatus()
    {
        {
            var head = _head;
            var featureDir = _features.CacheDirectory;
            long cached = Directory.Exists(featureDir) ? Directory.GetFiles(featureDir, "*.features").Length : 0;
            return new EngineStatus(_encoder.ModelName, _encoder.ModelFolder, head?.Path, head?.Description.Pooling,
                "cpu", _encoder.Precision, _encoder.MaxTokens, featureDir, cached, Volatile.Read(ref _training) == 1,
                head?.Metrics) { LabelNames = head?.Description.LabelNames, LastMetricsData = head?.MetricsData };
        }
    }

    /// <summary>The model and head as a user asks about them (agnews model info).</summary>
    public ModelInfo Describe()
    {
        var c = _encoder.Model.Config;
        var s = GetStatus();
        return new ModelInfo(ResolvedModel.Name, ResolvedModel.Source, ResolvedModel.Folder, _encoder.Fingerprint, c.NumHiddenLayers,
            c.HiddenSize, c.NumAttentionHeads, c.IntermediateSize, c.VocabSize, s.MaxTokens, s.Precision, s.HeadPath, s.HeadPooling,
            _head?.Description.Validation?.Accuracy, s.LabelNames, TorchRuntime.Notes) with { Threads = TorchRuntime.Threads };
    }


    /// <summary>Up to this many texts to encode run as one torch-thread item (see <see cref="Classify"/>).</summary>
    private const int FewTexts = 8;

    public IReadOnlyList<Prediction> Classify(IReadOnlyList<string> texts, CancellationToken cancellationToken = default) =>
        ClassifyWithVectors(texts, withVectors: false, fixedShapes: false, cancellationToken).Predictions;

    public (IReadOnlyList<Prediction> Predictions, IReadOnlyList<float[]> Vectors) ClassifyWithSentenceVectors(IReadOnlyList<string> texts,
        CancellationToken cancellationToken = default)
    {
        var (predictions, vectors) = ClassifyWithVectors(texts, withVectors: true, fixedShapes: false, cancellationToken);
        return (predictions, vectors.Select(v => v!).ToArray());
    }

    /// <summary>Encodes in batches of one shape per token length (<see cref="TextEncoder.FixedShapeBatches"/>).</summary>
    public IReadOnlyList<Prediction> ClassifyIndependently(IReadOnlyList<string> texts, CancellationToken cancellationToken = default) =>
        ClassifyWithVectors(texts, withVectors: false, fixedShapes: true, cancellationToken).Predictions;

    /// <summary>
    /// The head's predictions and, when <paramref name="withVectors"/>, each text's sentence vector (mean pooling) from
    /// the same encoder pass; both cached by text with the head, except in <paramref name="fixedShapes"/>, whose digits
    /// must not come from another call's batch.
    /// </summary>
    private (Prediction[] Predictions, float[]?[] Vectors) ClassifyWithVectors(IReadOnlyList<string> texts, bool withVectors,
        bool fixedShapes, CancellationToken cancellationToken)
    {
        using var lease = LeaseHead();
        var head = lease.Head;
        var result = new Prediction[texts.Count];
        var vectors = new float[]?[texts.Count];
        if (texts.Count == 0) return (result, vectors);
        var missing = new List<int>();
        // The cache holds what the other path computed, whose last digits depend on the call: fixed shapes pass it by.
        for (var i = 0; i < texts.Count; i++)
            if (!fixedShapes && head.Predictions.TryGet(texts[i], out var known, out var vector) && (!withVectors || vector is not null))
                (result[i], vectors[i]) = (known, vector);
            else missing.Add(i);
        if (missing.Count > 0)
        {
            var toEncode = missing.Select(i => texts[i]).ToArray();
            var lexical = head.Module.LexicalRows(toEncode); // n-grams are counted here, not on the torch thread
            var pooling = head.Description.Pooling;
            Pooling[] poolings = withVectors && pooling != Pooling.Mean ? [pooling, Pooling.Mean] : [pooling];
            // Encode then predict: on the torch thread, each step an item of its own (Encode makes one per batch),
            // or run inline when already there.
            (EncodedFeatures Features, float[][] Probabilities) Run()
            {
                var features = _encoder.Encode(toEncode, poolings, null, cancellationToken, top: head.Module.Top, fixedShapes: fixedShapes);
                var probabilities = TorchThread.Shared.Run(() => fixedShapes
                        ? PredictInFixedShapes(head.Module, features.ByPooling[pooling], lexical, features.TopLogits)
                        : head.Module.PredictProbabilities(features.ByPooling[pooling], lexical, features.TopLogits),
                    TorchPriority.InteractiveNested, cancellationToken);
                return (features, probabilities);
            }
            // A few texts (a hover): all of it as one torch-thread item, so during training it waits for one yield
            // point, not two; a single text on one core. Many (a document's CodeLens): an item per batch, so hovers
            // get in between.
            Func<(EncodedFeatures, float[][])> few = toEncode.Length == 1 ? () => TorchThread.Shared.SingleThreaded(Run) : Run;
            // Fixed shapes never take the one-thread path of a single text: its kernels add in another order than a batch's.
            var (encoded, probabilities) = toEncode.Length <= FewTexts && !fixedShapes
                ? TorchThread.Shared.Run(few, TorchPriority.InteractiveNested, cancellationToken)
                : Run();
            for (var k = 0; k < missing.Count; k++)
            {
                result[missing[k]] = ToPrediction(probabilities[k], head.Description.LabelNames, encoded.Truncated[k],
                    encoded.TokenCounts[k]);
                vectors[missing[k]] = withVectors ? encoded.ByPooling[Pooling.Mean][k] : null;
                if (!fixedShapes) head.Predictions.Add(toEncode[k], result[missing[k]], vectors[missing[k]]);
            }
        }
        return (result, vectors);
    }

    /// <summary>Rows the head computes at once for <see cref="ClassifyIndependently"/>: always this many, for the same reason as the
    /// encoder's fixed shapes.</summary>
    private const int HeadRows = 64;

    /// <summary>
    /// The head's probabilities computed <see cref="HeadRows"/> rows at a time, a short chunk filled with copies of its last
    /// row, so that a row's digits do not depend on how many rows came with it (a matrix product of another height may
    /// add in another order).
    /// </summary>
    private static float[][] PredictInFixedShapes(ClassifierHead head, float[][] features,
        IReadOnlyList<AgNewsLsp.Training.LexicalRow>? lexical, float[][]? topLogits)
    {
        var result = new float[features.Length][];
        for (var start = 0; start < features.Length; start += HeadRows)
        {
            var rows = Enumerable.Range(start, HeadRows).Select(i => Math.Min(i, features.Length - 1)).ToArray();
            var chunk = head.PredictProbabilities(rows.Select(i => features[i]).ToArray(),
                lexical is null ? null : rows.Select(i => lexical[i]).ToList(),
                topLogits is null ? null : rows.Select(i => topLogits[i]).ToArray());
            for (var k = 0; k < HeadRows && start + k < features.Length; k++) result[start + k] = chunk[k];
        }
        return result;
    }

    private static Prediction ToPrediction(float[] probabilities, string[] labels, bool truncated, int tokens)
    {
        int best = Metrics.ArgMax(probabilities);
        return new Prediction(labels[best], best, probabilities, labels, truncated, tokens);
    }

    public Task<EvaluationReport> EvaluateAsync(EvaluateRequest request, IProgress<WorkProgress>? progress,
        CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            using var lease = LeaseHead();
            var head = lease.Head;
            progress?.Report(new WorkProgress("reading", 0, 1, string.Join(", ", request.DataPaths)));
            var data = LabeledDataReader.ReadSplit(request.DataPaths, "test",
                new DataReadOptions(request.SkipBadRows, request.Limit) { Cancellation = cancellationToken });
            if (data.Count == 0) throw new InvalidDataException($"{data.Path} holds no rows to evaluate on.");
            var gold = data.LabelsIn(head.Description.LabelNames); // before the features: a class the head lacks fails at once
            var texts = data.Rows.Select(r => r.Text).ToArray();
            var pooling = head.Description.Pooling;
            float[][] features;
            float[][]? topLogits = null;
            if (head.Module.Top is { } top)
            {
                // Top layers' logits depend on the head, so they are never cached: such a head's texts go through the encoder.
                var encoded = _encoder.Encode(texts, [pooling], progress, cancellationToken, priority: TorchPriority.Background, top: top);
                (features, topLogits) = (encoded.ByPooling[pooling], encoded.TopLogits);
            }
            else features = _features.Extract(texts, [pooling], progress, cancellationToken)[pooling];
            var lexical = head.Module.LexicalRows(texts);
            var probabilities = TorchThread.Shared.Run(() => head.Module.PredictProbabilities(features, lexical, topLogits),
                TorchPriority.Background, cancellationToken);
            var report = Metrics.Compute(gold, probabilities, head.Description.LabelNames);
            // before Metrics: a reader sees a pair that belongs together or the old one
            head.MetricsData = string.Join(", ", data.Files.Select(Path.GetFileName));
            head.Metrics = report; // the head it measured, even if training swapped in another meanwhile
            return report;
        }, cancellationToken);

    /// <summary>Features for texts with a given pooling, through the cache (benchmarks compare poolings with it).</summary>
    public IReadOnlyDictionary<Pooling, float[][]> ExtractFeatures(IReadOnlyList<string> texts, IReadOnlyList<Pooling> poolings,
        IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        _features.Extract(texts, poolings, progress, cancellationToken);

    public Embeddings Embed(IReadOnlyList<string> texts, Pooling? pooling = null, IProgress<WorkProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var chosen = pooling ?? Poolings.Default; // as Train picks it
        var vectors = texts.Count == 0 ? [] : _features.Extract(texts, [chosen], progress, cancellationToken)[chosen];
        return new Embeddings(_encoder.ModelName, _encoder.Fingerprint, chosen, PoolingLayer.Dimension(chosen, _encoder.Model.Config),
            vectors);
    }

    /// <summary>Waits for a training run to wind down (it uses the model) before freeing native memory.</summary>
    public void Dispose()
    {
        try
        {
            _trainingRun.Wait();
        }
        catch (AggregateException)
        {
            // its caller saw the failure or cancellation
        }
        Interlocked.Exchange(ref _head, null)?.Module.Dispose(); // the engine is going away: no request is left to wait for
        _encoder.Dispose();
    }
}
