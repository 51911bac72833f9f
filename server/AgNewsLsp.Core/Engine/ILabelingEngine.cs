using AgNewsLsp.Evaluation;
using AgNewsLsp.Progress;
using AgNewsLsp.Settings;
using AgNewsLsp.Training;

namespace AgNewsLsp.Engine;

/// <summary>
/// The one code path for classify / train / evaluate. The CLI, the language server and the benchmarks
/// are fronts over this; none of them knows how the others talk to the user.
/// </summary>
public interface ILabelingEngine
{
    /// <summary>What is loaded now: model, head, pooling, device, feature cache, last metrics.</summary>
    /// <summary>What the engine has loaded now; it lists the feature cache folder, so it is a method, not a property.</summary>
    EngineStatus GetStatus();

    /// <summary>Classifies texts with the current head. Safe to call while training runs.</summary>
    IReadOnlyList<Prediction> Classify(IReadOnlyList<string> texts, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="Classify"/>, with each text's sentence vector (the encoder's mean pooling) from the same pass: what
    /// teaching compares texts by (Teaching/CorrectionMemory).
    /// </summary>
    (IReadOnlyList<Prediction> Predictions, IReadOnlyList<float[]> Vectors) ClassifyWithSentenceVectors(IReadOnlyList<string> texts,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="Classify"/>, but each text's prediction depends on the text alone, never on the other texts of the
    /// call (in a batch it moves in its last digits with the batch's shape): what a folder labelled in shards needs to
    /// equal the folder labelled at once, byte for byte. Pass many texts: the engine batches them by length. By default
    /// a call per text.
    /// </summary>
    IReadOnlyList<Prediction> ClassifyIndependently(IReadOnlyList<string> texts, CancellationToken cancellationToken = default) =>
        texts.Select(text => Classify([text], cancellationToken)[0]).ToList();

    /// <summary>
    /// Trains a new head. On success the new head is saved atomically and swapped in; on failure or
    /// cancellation the previous head stays loaded and on disk. Only one training run at a time:
    /// a second call while one runs throws <see cref="EngineBusyException"/>.
    /// </summary>
    Task<TrainResult> TrainAsync(TrainRequest request, IProgress<WorkProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Evaluates the current head on a labelled file.</summary>
    Task<EvaluationReport> EvaluateAsync(EvaluateRequest request, IProgress<WorkProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// The frozen encoder's vectors for texts, in input order, with a pooling (null: the engine's, as training uses).
    /// They come through the same cached, length-sorted path training reads its features from, so a head trained on
    /// these texts sees exactly these vectors. Needs no head.
    /// </summary>
    Embeddings Embed(IReadOnlyList<string> texts, Pooling? pooling = null, IProgress<WorkProgress>? progress = null,
        CancellationToken cancellationToken = default);
}

/// <summary>Vectors of texts from one model and pooling; each has <see cref="Dimension"/> floats.</summary>
public sealed record Embeddings(string ModelName, string ModelFingerprint, Pooling Pooling, int Dimension, IReadOnlyList<float[]> Vectors);

/// <summary>One text's label. Probabilities are in the order of <see cref="LabelNames"/>.</summary>
public sealed record Prediction(string Label, int LabelIndex, float[] Probabilities, IReadOnlyList<string> LabelNames, bool Truncated,
    int TokenCount)
{
    /// <summary>The label is one a person gave this text (a correction), whatever the head predicts.</summary>
    public bool ByUser { get; init; }
}

/// <param name="DataPaths">Files and folders (each folder's train* files); a text in several files is counted once.</param>
public sealed record TrainRequest(
    IReadOnlyList<string> DataPaths,
    HeadKind? HeadKind = null,
    Pooling? Pooling = null,
    int? MaxEpochs = null,
    int? MaxPasses = null,
    int? Seed = null,
    double? ValidationFraction = null,
    bool SkipBadRows = false,
    int? Limit = null,
    string? OutputHeadPath = null);

public sealed record TrainResult(
    string HeadPath,
    EvaluationReport Validation,
    IReadOnlyList<EpochStats> History,
    int TrainCount,
    int ValidationCount,
    int SkippedRows,
    TimeSpan FeatureTime,
    TimeSpan TrainTime)
{
    public HeadKind HeadKind { get; init; }
    /// <summary>Rows left out because an earlier file held the same text.</summary>
    public int DuplicateRows { get; init; }
    public IReadOnlyList<string> Files { get; init; } = [];
    /// <summary>The temperature fitted on the validation rows (1: none).</summary>
    public double Temperature { get; init; } = 1;
}

/// <param name="DataPaths">Files and folders (each folder's test* files), read as one set.</param>
public sealed record EvaluateRequest(IReadOnlyList<string> DataPaths, bool SkipBadRows = false, int? Limit = null);

public sealed record EngineStatus(
    string ModelName,
    string ModelPath,
    string? HeadPath,
    /// <summary>The loaded head's pooling; null when no head is loaded (a request's pooling is the front's setting).</summary>
    Pooling? HeadPooling,
    string Device,
    Precision Precision,
    int MaxTokens,
    string CacheDirectory,
    long CachedFeatureFiles,
    bool Training,
    EvaluationReport? LastMetrics)
{
    /// <summary>The loaded head's classes, in its output order; null when no head is loaded.</summary>
    public IReadOnlyList<string>? LabelNames { get; init; }

    /// <summary>What <see cref="LastMetrics"/> measured: null for the head's validation rows, else the evaluated files.</summary>
    public string? LastMetricsData { get; init; }
}

/// <summary>The loaded model as <c>agnews model info</c> shows it: where it came from, its shape, and the head in use.</summary>
public sealed record ModelInfo(
    string Model,
    AgNewsLsp.Model.ModelSource Source,
    string Folder,
    string Fingerprint,
    int Layers,
    int Hidden,
    int Heads,
    int Intermediate,
    int Vocab,
    int MaxTokens,
    Precision Precision,
    string? Head,
    Pooling? HeadPooling,
    double? HeadAccuracy,
    IReadOnlyList<string>? LabelNames,
    IReadOnlyList<string> Native)
{
    /// <summary>libtorch's threads per operation (<c>--threads</c>, else the cores it sees).</summary>
    public int Threads { get; init; }
}

public sealed class EngineBusyException(string message) : InvalidOperationException(message);

/// <summary>No head is loaded for the current model yet: the user has to train (or choose) one.</summary>
public sealed class NoHeadException(string modelName) : InvalidOperationException($"No head is loaded for model {modelName}.")
{
    /// <summary>The loaded model, for which a head has to be trained; each front words how (Core knows no command line).</summary>
    public string ModelName { get; } = modelName;
}
