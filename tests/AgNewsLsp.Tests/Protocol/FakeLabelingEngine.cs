using AgNewsLsp.Features;
using AgNewsLsp.Data;
using AgNewsLsp.Engine;
using AgNewsLsp.Evaluation;
using AgNewsLsp.Progress;
using AgNewsLsp.Settings;
using AgNewsLsp.Training;

namespace AgNewsLsp.Tests.Protocol;

/// <summary>
/// A deterministic stand-in for the real engine, for protocol behaviour tests only: labels by keyword,
/// trains in controllable steps (delay per step, or held until released), fails on request.
/// </summary>
public sealed class FakeLabelingEngine : ILabelingEngine
{
    private int training;
    private EvaluationReport? lastMetrics;

    public int TrainSteps { get; set; } = 5;
    public TimeSpan StepDelay { get; set; } = TimeSpan.FromMilliseconds(5);
    /// <summary>When above 0, every this many steps' report is an epoch's summary ("epoch N").</summary>
    public int SummaryEvery { get; set; }
    /// <summary>When set, training waits on it after the first step (so tests can act while it runs).</summary>
    public TaskCompletionSource? HoldTraining { get; set; }
    public TaskCompletionSource TrainingStarted { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public volatile bool TrainCancelled;
    public int ClassifyCalls;
    public TrainRequest? LastTrainRequest { get; private set; }
    /// <summary>When set, TrainAsync throws it at once (after the busy check).</summary>
    public Exception? TrainFailure { get; set; }
    public EvaluateRequest? LastEvaluateRequest { get; private set; }

    /// <summary>Whether the fake has a head loaded (its pooling is mean); false: status as before any training.</summary>
    public bool HasHead { get; set; } = true;

    public EngineStatus GetStatus() =>
        new("fake-minilm", "/models/fake", HasHead ? "/heads/fake.head" : null, HasHead ? Pooling.Mean : null, "cpu",
            Precision.Fp32, 128, "/cache", 3, Volatile.Read(ref training) == 1, lastMetrics);

    /// <summary>When set, Classify signals <see cref="ClassifyStarted"/> and waits on it (cancellably) before it answers.</summary>
    public ManualResetEventSlim? HoldClassify { get; set; }
    public TaskCompletionSource ClassifyStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>Classify sleeps this long on each call (so that a long run can be watched).</summary>
    public TimeSpan ClassifyDelay { get; set; }

    public IReadOnlyList<Prediction> Classify(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref ClassifyCalls);
        cancellationToken.ThrowIfCancellationRequested();
        if (HoldClassify is { } hold)
        {
            ClassifyStarted.TrySetResult();
            hold.Wait(cancellationToken);
        }
        if (ClassifyDelay > TimeSpan.Zero) cancellationToken.WaitHandle.WaitOne(ClassifyDelay);
        cancellationToken.ThrowIfCancellationRequested();
        return texts.Select(LabelOf).ToList();
    }

    public (IReadOnlyList<Prediction> Predictions, IReadOnlyList<float[]> Vectors) ClassifyWithSentenceVectors(IReadOnlyList<string> texts,
        CancellationToken cancellationToken = default) =>
        (Classify(texts, cancellationToken), texts.Select(SentenceVector).ToList());

    /// <summary>A stand-in sentence vector: the text's words hashed into 64 buckets, so texts sharing words are similar.</summary>
    public static float[] SentenceVector(string text)
    {
        var vector = new float[64];
        foreach (var word in text.ToLowerInvariant().Split(' ', '.', ',', '!', '?', '\n').Where(w => w.Length > 2))
            vector[(int)((uint)StableHash(word) % 64)] += 1;
        return vector;
    }

    private static int StableHash(string word)
    {
        unchecked
        {
            int hash = 17;
            foreach (var c in word) hash = hash * 31 + c;
            return hash;
        }
    }

    public static Prediction LabelOf(string text)
    {
        var t = text.ToLowerInvariant();
        var index = t.Contains("match") || t.Contains("sport") || t.Contains("goal") ? 1
            : t.Contains("stock") || t.Contains("market") ? 2
            : t.Contains("software") || t.Contains("chip") ? 3
            : 0;
        var probabilities = new float[4];
        for (var i = 0; i < 4; i++) probabilities[i] = i == index ? 0.7f : 0.1f;
        return new Prediction(AgNewsLabels.Names[index], index, probabilities, AgNewsLabels.Names, text.Length > 2000,
            text.Length / 4 + 1); // like the real engine: the count before truncation
    }

    public async Task<TrainResult> TrainAsync(TrainRequest request, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref training, 1, 0) != 0) throw new EngineBusyException("training already running");
        try
        {
            LastTrainRequest = request;
            if (TrainFailure is { } failure) throw failure;
            foreach (var path in request.DataPaths) CheckData(path);
            TrainingStarted.TrySetResult();
            for (var step = 1; step <= TrainSteps; step++)
            {
                try
                {
                    await Task.Delay(StepDelay, cancellationToken);
                    if (step == 1 && HoldTraining is { } hold) await hold.Task.WaitAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    TrainCancelled = true;
                    throw;
                }
                bool summary = SummaryEvery > 0 && step % SummaryEvery == 0;
                progress?.Report(new WorkProgress("features", step, TrainSteps, summary ? $"epoch {step / SummaryEvery}" : null)
                    { IsSummary = summary });
            }
            var report = Report(100);
            lastMetrics = report;
            return new TrainResult("/heads/new.head", report, [new EpochStats(1, 0.5, 0.8, 0.6, 0.75)], 90, 10, 0,
                TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(2.25));
        }
        finally
        {
            Volatile.Write(ref training, 0);
            TrainingStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public async Task<EvaluationReport> EvaluateAsync(EvaluateRequest request, IProgress<WorkProgress>? progress,
        CancellationToken cancellationToken)
    {
        LastEvaluateRequest = request;
        foreach (var path in request.DataPaths) CheckData(path);
        for (var step = 1; step <= 3; step++)
        {
            await Task.Delay(StepDelay, cancellationToken);
            progress?.Report(new WorkProgress("evaluating", step, 3));
        }
        return Report(request.Limit ?? 40);
    }

    /// <summary>Vectors a test can predict: [length, count of 'a', pooling's name length].</summary>
    public Embeddings Embed(IReadOnlyList<string> texts, Pooling? pooling = null, IProgress<WorkProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var chosen = pooling ?? Pooling.Mean;
        return new Embeddings("fake-minilm", "fake0fingerprint", chosen, 3,
            texts.Select(t => new float[] { t.Length, t.Count(c => c == 'a'), chosen.Name().Length }).ToList());
    }

    private static void CheckData(string path)
    {
        if (path.Contains("missing", StringComparison.Ordinal)) throw new FileNotFoundException("data file not found", path);
        if (path.Contains("malformed", StringComparison.Ordinal))
            throw new InvalidDataException($"{path}:2: expected 'label,text', found 1 column");
        if (path.Contains("explode", StringComparison.Ordinal)) throw new InvalidOperationException("boom");
    }

    private static EvaluationReport Report(int count) => new(count, 0.75, 0.7, 0.6, 0.05, AgNewsLabels.Names,
        AgNewsLabels.Names.Select(n => new ClassMetrics(n, 0.8, 0.7, 0.75, count / 4)).ToList(),
        [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]);
}
