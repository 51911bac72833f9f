using AgNewsLsp.Engine;
using AgNewsLsp.Evaluation;
using AgNewsLsp.Progress;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Teaching;

/// <summary>
/// An engine with what its user taught: every prediction goes through the <see cref="Teacher"/>'s memory (a corrected
/// text shows its user's label, similar texts follow). Everything else is the inner engine's. The fronts (language
/// server, <c>agnews label</c>, <c>agnews teach</c>) serve this. Every text it classifies, before any correction too, is
/// handed to the memory as background (<see cref="CorrectionMemory.Observe"/>), so that a new class taught later is
/// learnt against the texts the user already had labelled; the sentence vectors come from the same encoder pass. (A
/// sharded folder run with nothing taught, <see cref="ClassifyIndependently"/>, teaches nothing and observes nothing.)
/// </summary>
public sealed class TaughtEngine : ILabelingEngine, IDisposable
{
    private readonly ILabelingEngine _inner;

    /// <param name="blend">How similar corrected texts vote (null: <see cref="BlendSettings.Default"/>).</param>
    /// <param name="layer">How the correction layer is fitted (null: <see cref="LayerSettings.Default"/>).</param>
    public TaughtEngine(ILabelingEngine inner, BlendSettings? blend = null, LayerSettings? layer = null)
    {
        _inner = inner;
        Teacher = new Teacher(inner, blend, layer);
    }

    public Teacher Teacher { get; }

    /// <summary>The engine taught.</summary>
    public ILabelingEngine Inner => _inner;

    public EngineStatus GetStatus() => _inner.GetStatus();

    public IReadOnlyList<Prediction> Classify(IReadOnlyList<string> texts, CancellationToken cancellationToken = default) =>
        ClassifyWithSentenceVectors(texts, cancellationToken).Predictions;

    /// <summary>
    /// With nothing taught, the inner engine's call-independent predictions (a folder in shards equals the folder at
    /// once). With corrections, the taught labels win over byte-stability: they come from the batched path.
    /// </summary>
    public IReadOnlyList<Prediction> ClassifyIndependently(IReadOnlyList<string> texts, CancellationToken cancellationToken = default) =>
        Teacher.Memory.Count == 0 ? _inner.ClassifyIndependently(texts, cancellationToken) : Classify(texts, cancellationToken);

    public (IReadOnlyList<Prediction> Predictions, IReadOnlyList<float[]> Vectors) ClassifyWithSentenceVectors(IReadOnlyList<string> texts,
        CancellationToken cancellationToken = default)
    {
        var (predictions, vectors) = _inner.ClassifyWithSentenceVectors(texts, cancellationToken);
        Teacher.Memory.Observe(texts, predictions, vectors);
        return (predictions.Select((p, i) => Teacher.Memory.Apply(p, texts[i], vectors[i])).ToArray(), vectors);
    }

    public Task<TrainResult> TrainAsync(TrainRequest request, IProgress<WorkProgress>? progress, CancellationToken cancellationToken) =>
        _inner.TrainAsync(request, progress, cancellationToken);

    public Task<EvaluationReport> EvaluateAsync(EvaluateRequest request, IProgress<WorkProgress>? progress,
        CancellationToken cancellationToken) =>
        _inner.EvaluateAsync(request, progress, cancellationToken);

    public Embeddings Embed(IReadOnlyList<string> texts, Pooling? pooling = null, IProgress<WorkProgress>? progress = null,
        CancellationToken cancellationToken = default) => _inner.Embed(texts, pooling, progress, cancellationToken);

    public void Dispose() => (_inner as IDisposable)?.Dispose();
}
