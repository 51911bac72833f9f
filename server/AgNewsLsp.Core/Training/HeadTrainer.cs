using AgNewsLsp.Model;
using AgNewsLsp.Evaluation;
using AgNewsLsp.Features;
using AgNewsLsp.Native;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using AgNewsLsp.Progress;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Training;

public sealed record HeadTrainingOptions
{
    public HeadKind Kind { get; init; } = HeadKind.Linear;
    /// <summary>Linear and mlp heads: AdamW epochs at most (early stopping may end sooner).</summary>
    public int MaxEpochs { get; init; } = TrainingSettings.DefaultMaxEpochs;
    /// <summary>Hybrid kinds: passes of the linear solver at most (it stops sooner once converged).</summary>
    public int MaxPasses { get; init; } = TrainingSettings.DefaultMaxPasses;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 1e-2;
    /// <summary>Epochs without a better validation loss before stopping.</summary>
    public int Patience { get; init; } = 5;
    public int Seed { get; init; } = TrainingSettings.DefaultSeed;
    public double ValidationFraction { get; init; } = TrainingSettings.DefaultValidationFraction;
    /// <summary>Hybrid heads: the SVM's cost of a margin violation (scikit-learn's C; smaller regularises more).</summary>
    public double HybridC { get; init; } = 0.3;
    /// <summary>
    /// Hybrid heads: the standardised encoder features are multiplied by this before they join the n-grams (a unit
    /// vector), which sets how much of the shared L2 penalty each part pays.
    /// </summary>
    public double EncoderFeatureScale { get; init; } = 0.02;
    /// <summary>Hybrid heads: the solver stops when its projected gradients span less than this (liblinear's eps).</summary>
    public double HybridTolerance { get; init; } = 0.1;
    /// <summary>The n-gram features of hybrid heads.</summary>
    public LexicalFeaturizer Lexical { get; init; } = new();
    /// <summary>
    /// Hybrid+layers heads: epochs over the training rows for the top layers (the epoch with the lowest validation loss is kept).
    /// </summary>
    public int TopLayerEpochs { get; init; } = TrainingSettings.DefaultTopLayerEpochs;
    /// <summary>Hybrid+layers heads: AdamW's learning rate for the copied encoder layers (small: they start trained).</summary>
    public double TopLayerLearningRate { get; init; } = 2e-4;
    /// <summary>Hybrid+layers heads: AdamW's learning rate for their new linear classifier.</summary>
    public double TopClassifierLearningRate { get; init; } = 1e-3;
    /// <summary>Hybrid+layers heads: texts per AdamW step of the top layers.</summary>
    public int TopLayerBatchSize { get; init; } = 32;
}

/// <summary>
/// What a hybrid+layers head's top layers train on: where they sit, the frozen states below them, and the encoder they copy.
/// </summary>
public sealed record TopLayerInput(TopLayersShape Shape, TokenStates States, BertModel Encoder);

/// <summary>Losses and accuracies after one epoch (or solver pass) of training.</summary>
public sealed record EpochStats(int Epoch, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy);

public sealed record HeadTrainingResult(ClassifierHead Head, EvaluationReport Validation, IReadOnlyList<EpochStats> History, int TrainCount,
    int ValidationCount)
{
    /// <summary>The validation report before temperature scaling (same accuracy, the raw probabilities' log-loss and ECE).</summary>
    public EvaluationReport? UncalibratedValidation { get; init; }
}

/// <summary>
/// Trains a head of any kind on frozen features: a seeded, stratified validation split held out of train;
/// features standardised (and, for hybrid heads, n-gram idf learnt) with train statistics; then
/// <list type="bullet">
/// <item>linear and mlp: AdamW on cross-entropy over logits, early stopping on validation loss, keeping the best epoch;</item>
/// <item>hybrid: a convex problem (linear SVMs over encoder features and millions of hashed n-gram weights) solved to
/// its optimum by <see cref="LinearSvmSolver"/>: no learning rate or epoch count to tune, and no libtorch work;</item>
/// </list>
/// and last a temperature fitted on the validation rows. Same inputs and seed give the same head.
/// </summary>
public static partial class HeadTrainer
{
    /// <param name="texts">The texts of the rows; read by hybrid heads (their n-grams), may be null for the others.</param>
    /// <param name="top">The states hybrid+layers heads train their top layers on; null for the other kinds.</param>
    public static HeadTrainingResult Train(float[][] features, IReadOnlyList<string>? texts, int[] labels, IReadOnlyList<string> labelNames,
        HeadTrainingOptions options, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default,
        TopLayerInput? top = null)
    {
        TorchRuntime.EnsureInitialized();
        if (features.Length != labels.Length) throw new ArgumentException("features and labels differ in length.");
        if (options.Kind.HasNGrams() && (texts is null || texts.Count != features.Length))
            throw new ArgumentException($"A {options.Kind.Name()} head needs the text of every row.");
        if ((options.Kind == HeadKind.HybridLayers) != (top is not null) || (top is not null && top.States.Count != features.Length))
            throw new ArgumentException(
                $"A {options.Kind.Name()} head {(top is null ? "needs the token states of every row" : "takes no token states")}.");
        if (labelNames.Count < HeadLimits.MinClasses)
            throw new ArgumentException($"A head needs at least {HeadLimits.MinClasses} classes.");
        HeadLimits.CheckClassCount(labelNames.Count, "The training data");
        // The hashed space narrows as classes grow, so the n-gram matrix stays within its budget (HeadLimits).
        options = options with
        {
            Lexical = options.Lexical with { Bits = Math.Min(options.Lexical.Bits, HeadLimits.NGramBitsFor(labelNames.Count)) }
        };
        if (options.MaxEpochs < 1 || options.MaxPasses < 1 || options.TopLayerEpochs < 1)
            throw new ArgumentException("Epochs and solver passes must be at least 1.");
        TrainingSettings.Check(options.Kind, null, null, options.ValidationFraction, limit: null);
        var (trainIdx, valIdx) = StratifiedSplit(labels, labelNames.Count, options.ValidationFraction, options.Seed);
        if (trainIdx.Length < labelNames.Count || valIdx.Length == 0)
            throw new ArgumentException(
                $"Too little data to train: {features.Length} rows give {trainIdx.Length} for training " +
                $"and {valIdx.Length} for validation.");

        if (options.Kind == HeadKind.Hybrid)
        {
            var hybrid = SolveHybrid(features, texts!, labels, labelNames, options, trainIdx, valIdx, progress, cancellationToken);
            var head = TorchThread.Shared.Run(() => hybrid.Fill(new ClassifierHead(HeadKind.Hybrid, hybrid.Dim, labelNames.Count,
                lexicalFeatures: options.Lexical)),
                TorchPriority.Background);
            return new HeadTrainingResult(head, hybrid.Report, hybrid.History, trainIdx.Length, valIdx.Length)
                { UncalibratedValidation = hybrid.Uncalibrated };
        }
        if (options.Kind == HeadKind.HybridLayers)
            return TrainHybridLayers(features, texts!, labels, labelNames, options, trainIdx, valIdx, top!, progress, cancellationToken);

        // Torch work runs on the torch thread an epoch at a time (a hover may go in between); progress is
        // reported from this thread, so a slow progress listener never holds the torch thread.
        var torchThread = TorchThread.Shared;
        var session = torchThread.Run(() => new Session(features, labels, trainIdx, valIdx, labelNames.Count, options),
            TorchPriority.Background, cancellationToken);
        var history = new List<EpochStats>();
        try
        {
            double bestLoss = double.PositiveInfinity;
            int sinceBest = 0;
            for (int epoch = 1; epoch <= options.MaxEpochs; epoch++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int current = epoch;
                var stats = torchThread.Run(() => session.Epoch(current, cancellationToken), TorchPriority.Background, cancellationToken);
                history.Add(stats);
                progress?.Report(new WorkProgress("training", epoch, options.MaxEpochs,
                    $"epoch {epoch}: loss {stats.TrainLoss:F4}, validation loss {stats.ValidationLoss:F4}, " +
                    $"accuracy {stats.ValidationAccuracy:P2}") { IsSummary = true });
                if (Calibration.Improves(stats.ValidationLoss, bestLoss))
                {
                    bestLoss = stats.ValidationLoss;
                    sinceBest = 0;
                    torchThread.Run(session.KeepBest, TorchPriority.Background);
                }
                else if (++sinceBest >= options.Patience) break;
            }
            var (head, report, uncalibrated) = torchThread.Run(() => session.Finish(labels, valIdx, labelNames), TorchPriority.Background);
            return new HeadTrainingResult(head, report, history, trainIdx.Length, valIdx.Length) { UncalibratedValidation = uncalibrated };
        }
        finally
        {
            torchThread.Run(session.Dispose, TorchPriority.Background);
        }
    }

    /// <summary>Per class, a seeded shuffle; the first fraction of each class goes to validation.</summary>
    public static (int[] Train, int[] Validation) StratifiedSplit(int[] labels, int classCount, double fraction, int seed)
    {
        var random = new Random(seed);
        var train = new List<int>();
        var validation = new List<int>();
        for (int c = 0; c < classCount; c++)
        {
            var members = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).OrderBy(_ => random.Next()).ToArray();
            int held = (int)Math.Round(members.Length * fraction);
            if (members.Length > 1) held = Math.Clamp(held, 1, members.Length - 1); else held = 0;
            validation.AddRange(members.Take(held));
            train.AddRange(members.Skip(held));
        }
        train.Sort();
        validation.Sort();
        return (train.ToArray(), validation.ToArray());
    }

    /// <summary>Training rows scored after each hybrid pass for the history (all of them when there are fewer).</summary>
    private const int TrainingHistorySample = 5000;

    /// <summary>
    /// Per-dimension mean and spread of the training rows, for standardising. Two passes in double: one pass of
    /// E[x^2] - E[x]^2 cancels to nothing on a dimension with a large mean and a tiny spread. Such dimensions exist
    /// (all-MiniLM-L6-v2 has one among its [CLS] rows: README, Accuracy) and a spread below
    /// <see cref="RelativeSpreadFloor"/> of the mean is floored there: that is below what bf16 resolves, so in bf16
    /// the dimension is a constant, and a head trained on fp32 features would otherwise weigh float noise as much as
    /// a real feature and read bf16 rounding as hundreds of standard deviations.
    /// </summary>
    internal static (float[] Mean, float[] Std) Standardization(float[][] features, int[] rows, int dim)
    {
        var mean = new double[dim];
        foreach (var r in rows)
            for (int d = 0; d < dim; d++) mean[d] += features[r][d];
        for (int d = 0; d < dim; d++) mean[d] /= Math.Max(rows.Length, 1);
        var squares = new double[dim];
        foreach (var r in rows)
            for (int d = 0; d < dim; d++)
            {
                double centred = features[r][d] - mean[d];
                squares[d] += centred * centred;
            }
        var m = new float[dim];
        var s = new float[dim];
        for (int d = 0; d < dim; d++)
        {
            m[d] = (float)mean[d];
            double spread = Math.Sqrt(squares[d] / Math.Max(rows.Length, 1));
            s[d] = (float)Math.Max(spread, Math.Max(RelativeSpreadFloor * Math.Abs(mean[d]), 1e-6));
        }
        return (m, s);
    }

    /// <summary>A dimension's spread is at least this fraction of its mean (bf16 keeps 8 significant bits, about 0.4%).</summary>
    internal const double RelativeSpreadFloor = 0.01;

    private static Tensor Rows(float[][] features, int[] rows, int dim)
    {
        var flat = new float[rows.Length * dim];
        for (int k = 0; k < rows.Length; k++) features[rows[k]].CopyTo(flat, k * dim);
        return tensor(flat, [rows.Length, dim]);
    }

    private static void DisposeAll(Dictionary<string, Tensor>? tensors)
    {
        if (tensors is null) return;
        foreach (var t in tensors.Values) t.Dispose();
    }
}
