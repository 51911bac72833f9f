using AgNewsLsp.Engine;
using AgNewsLsp.Evaluation;
using AgNewsLsp.Features;
using AgNewsLsp.Native;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AgNewsLsp.Training;

public sealed record HeadTrainingOptions
{
    public HeadKind Kind { get; init; } = HeadKind.Linear;
    public int MaxEpochs { get; init; } = 100;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 1e-2;
    /// <summary>Epochs without a better validation loss before stopping.</summary>
    public int Patience { get; init; } = 5;
    public int Seed { get; init; } = 42;
    public double ValidationFraction { get; init; } = 0.1;
    /// <summary>AdamW's step size and decoupled weight decay for a hybrid head's n-gram weights (lazy, see <see cref="RowSparseAdamW"/>).</summary>
    public double LexicalLearningRate { get; init; } = 1e-2;
    public double LexicalWeightDecay { get; init; } = 1e-4;
    /// <summary>The n-gram features of hybrid heads.</summary>
    public LexicalFeaturizer Lexical { get; init; } = new();
}

public sealed record HeadTrainingResult(ClassifierHead Head, EvaluationReport Validation, IReadOnlyList<EpochStats> History, int TrainCount, int ValidationCount)
{
    /// <summary>The validation report before temperature scaling (same accuracy, the raw probabilities' log-loss and ECE).</summary>
    public EvaluationReport? UncalibratedValidation { get; init; }
}

/// <summary>
/// Trains a head of any kind on frozen features: a seeded, stratified validation split held out of train;
/// features standardised (and, for hybrid heads, n-gram idf learnt) with train statistics; AdamW on
/// cross-entropy over logits; early stopping on validation loss, keeping the best epoch's weights; then a
/// temperature fitted on the validation rows. Same inputs and seed give the same head.
/// </summary>
public static class HeadTrainer
{
    /// <param name="texts">The texts of the rows; read by hybrid heads (their n-grams), may be null for the others.</param>
    public static HeadTrainingResult Train(float[][] features, IReadOnlyList<string>? texts, int[] labels, IReadOnlyList<string> labelNames,
        HeadTrainingOptions options, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        TorchRuntime.EnsureInitialized();
        if (features.Length != labels.Length) throw new ArgumentException("features and labels differ in length.");
        if (options.Kind == HeadKind.Hybrid && (texts is null || texts.Count != features.Length))
            throw new ArgumentException("A hybrid head needs the text of every row.");
        if (options.ValidationFraction is <= 0 or >= 1) throw new ArgumentException("validationFraction must be between 0 and 1.");
        if (options.MaxEpochs < 1) throw new ArgumentException("maxEpochs must be at least 1.");
        var (trainIdx, valIdx) = StratifiedSplit(labels, labelNames.Count, options.ValidationFraction, options.Seed);
        if (trainIdx.Length < labelNames.Count || valIdx.Length == 0)
            throw new ArgumentException($"Too little data to train: {features.Length} rows give {trainIdx.Length} for training and {valIdx.Length} for validation.");

        // Torch work runs on the torch thread an epoch at a time (a hover may go in between); progress is
        // reported from this thread, so a slow progress listener never holds the torch thread.
        var torchThread = TorchThread.Shared;
        // N-grams are counted here, in parallel, not on the torch thread.
        var lexicalRows = options.Kind == HeadKind.Hybrid ? LexicalRow.Featurize(options.Lexical, texts!) : null;
        var idf = lexicalRows is null ? null : InverseDocumentFrequencies(lexicalRows, trainIdx, options.Lexical.Buckets);
        var session = torchThread.Run(() => new Session(features, lexicalRows, idf, labels, trainIdx, valIdx, labelNames.Count, options), TorchPriority.Background, cancellationToken);
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
                    $"epoch {epoch}: loss {stats.TrainLoss:F4}, validation loss {stats.ValidationLoss:F4}, accuracy {stats.ValidationAccuracy:P2}"));
                if (stats.ValidationLoss < bestLoss - 1e-5)
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

    /// <summary>The tensors, head and optimizer of one training run; every method runs on the torch thread.</summary>
    private sealed class Session : IDisposable
    {
        private readonly HeadTrainingOptions _options;
        private readonly ClassifierHead _head;
        private readonly Tensor _xTrain, _yTrain, _xVal, _yVal;
        private readonly LexicalRow[]? _lexicalTrain, _lexicalVal;
        private readonly optim.Optimizer _optimizer;
        private readonly RowSparseAdamW? _lexicalOptimizer;
        private readonly Random _shuffle;
        private Dictionary<string, Tensor>? _best;
        private bool _headHandedOut;

        public Session(float[][] features, LexicalRow[]? lexicalRows, float[]? idf, int[] labels, int[] trainIdx, int[] valIdx, int classCount,
            HeadTrainingOptions options)
        {
            _options = options;
            int dim = features[0].Length;
            torch.random.manual_seed(options.Seed);
            _head = new ClassifierHead(options.Kind, dim, classCount, lexicalFeatures: options.Lexical);
            var (mean, std) = Standardization(features, trainIdx, dim);
            _head.SetStandardization(mean, std);
            if (lexicalRows is not null)
            {
                _head.SetIdf(idf!);
                _lexicalTrain = trainIdx.Select(i => lexicalRows[i]).ToArray();
                _lexicalVal = valIdx.Select(i => lexicalRows[i]).ToArray();
            }
            _xTrain = Rows(features, trainIdx, dim);
            _yTrain = tensor(trainIdx.Select(i => (long)labels[i]).ToArray());
            _xVal = Rows(features, valIdx, dim);
            _yVal = tensor(valIdx.Select(i => (long)labels[i]).ToArray());
            _optimizer = optim.AdamW(_head.EncoderPartParameters(), options.LearningRate, weight_decay: options.WeightDecay);
            if (_head.LexicalWeight is { } lexicalWeight)
                _lexicalOptimizer = new RowSparseAdamW(lexicalWeight, options.LexicalLearningRate, options.LexicalWeightDecay);
            _shuffle = new Random(options.Seed);
        }

        public EpochStats Epoch(int epoch, CancellationToken cancellationToken)
        {
            _head.train();
            long count = _xTrain.shape[0];
            var order = Enumerable.Range(0, (int)count).OrderBy(_ => _shuffle.Next()).Select(i => (long)i).ToArray();
            double lossSum = 0;
            long correct = 0;
            for (int start = 0; start < order.Length; start += _options.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var rows = order.AsSpan(start, Math.Min(_options.BatchSize, order.Length - start)).ToArray();
                var batch = tensor(rows);
                var x = _xTrain.index_select(0, batch);
                var y = _yTrain.index_select(0, batch);
                _optimizer.zero_grad();
                var logits = _head.EncoderLogits(x);
                Tensor? lexicalRows = null, lexicalWeights = null;
                if (_lexicalTrain is not null)
                {
                    // Only the buckets this batch holds take part: a leaf copy of their rows gets the gradient.
                    (lexicalRows, lexicalWeights, var lexicalLogits) = LexicalLogits(rows.Select(r => _lexicalTrain[r]).ToArray());
                    logits = logits + lexicalLogits;
                }
                var loss = F.cross_entropy(logits, y);
                loss.backward();
                _optimizer.step();
                if (_lexicalOptimizer is not null) _lexicalOptimizer.Step(lexicalRows!, lexicalWeights!.grad!);
                lossSum += loss.item<float>() * batch.shape[0];
                correct += logits.argmax(1).eq(y).sum().item<long>();
            }
            var (valLoss, valAcc) = Score(_head, _xVal, _lexicalVal, _yVal);
            return new EpochStats(epoch, lossSum / order.Length, (double)correct / order.Length, valLoss, valAcc);
        }

        /// <summary>
        /// The lexical logits of a batch computed from the distinct buckets it holds: their rows of the n-gram table
        /// (a leaf tensor whose gradient the sparse optimizer applies), times the bag's weights, summed per text.
        /// Equal to the head's EmbeddingBag on the same rows.
        /// </summary>
        private (Tensor Buckets, Tensor Rows, Tensor Logits) LexicalLogits(LexicalRow[] batch)
        {
            var bag = _head.Bag(batch);
            var position = new Dictionary<long, long>();
            var local = new long[bag.Indexes.Length];
            for (int k = 0; k < local.Length; k++)
            {
                if (!position.TryGetValue(bag.Indexes[k], out var p)) position[bag.Indexes[k]] = p = position.Count;
                local[k] = p;
            }
            var textOf = new long[bag.Indexes.Length];
            for (int i = 0; i < batch.Length; i++)
            {
                long end = i + 1 < batch.Length ? bag.Offsets[i + 1] : bag.Indexes.Length;
                for (long k = bag.Offsets[i]; k < end; k++) textOf[k] = i;
            }
            var buckets = tensor(position.Keys.ToArray());
            Tensor rows;
            using (no_grad()) rows = _head.LexicalWeight!.index_select(0, buckets);
            rows.requires_grad_(true);
            var entries = rows.index_select(0, tensor(local)) * tensor(bag.Weights).unsqueeze(1);
            var logits = zeros(batch.Length, rows.shape[1]).index_add(0, tensor(textOf), entries, 1);
            return (buckets, rows, logits);
        }

        public void KeepBest()
        {
            DisposeAll(_best);
            _best = _head.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        }

        /// <summary>
        /// The best epoch's weights in eval mode with a temperature fitted on the validation rows, and the validation
        /// report after and before that calibration; the caller owns the head.
        /// </summary>
        public (ClassifierHead Head, EvaluationReport Report, EvaluationReport Uncalibrated) Finish(int[] labels, int[] valIdx, IReadOnlyList<string> labelNames)
        {
            if (_best is not null)
                using (no_grad())
                    foreach (var (name, parameter) in _head.state_dict())
                        parameter.copy_(_best[name]);
            _head.eval();
            var gold = valIdx.Select(i => labels[i]).ToArray();
            float[] logits;
            using (no_grad())
            using (var raw = _head.Logits(_xVal, _lexicalVal))
                logits = raw.data<float>().ToArray();
            var uncalibrated = Metrics.Compute(gold, Calibration.Softmax(logits, labelNames.Count, 1), labelNames);
            double temperature = Calibration.FitTemperature(logits, gold, labelNames.Count);
            _head.SetTemperature(temperature);
            var report = Metrics.Compute(gold, Calibration.Softmax(logits, labelNames.Count, temperature), labelNames);
            _headHandedOut = true;
            return (_head, report, uncalibrated);
        }

        public void Dispose()
        {
            DisposeAll(_best);
            _optimizer.Dispose();
            _lexicalOptimizer?.Dispose();
            foreach (var t in new[] { _xTrain, _yTrain, _xVal, _yVal }) t.Dispose();
            if (!_headHandedOut) _head.Dispose();
        }
    }

    private static (double Loss, double Accuracy) Score(ClassifierHead head, Tensor x, IReadOnlyList<LexicalRow>? lexical, Tensor y)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        head.eval();
        var logits = head.Logits(x, lexical);
        return (F.cross_entropy(logits, y).item<float>(), logits.argmax(1).eq(y).to(ScalarType.Float32).mean().item<float>());
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

    /// <summary>Smoothed idf per bucket over the training rows, as scikit-learn's: ln((1 + n) / (1 + df)) + 1.</summary>
    private static float[] InverseDocumentFrequencies(LexicalRow[] rows, int[] trainIdx, int buckets)
    {
        var df = new int[buckets];
        foreach (var r in trainIdx)
        {
            foreach (var b in rows[r].Words.Indexes) df[b]++;
            foreach (var b in rows[r].Chars.Indexes)
                if (Array.BinarySearch(rows[r].Words.Indexes, b) < 0) df[b]++; // a bucket counts once per text
        }
        var idf = new float[buckets];
        for (int b = 0; b < buckets; b++) idf[b] = (float)(Math.Log((1.0 + trainIdx.Length) / (1.0 + df[b])) + 1);
        return idf;
    }

    private static (float[] Mean, float[] Std) Standardization(float[][] features, int[] rows, int dim)
    {
        var mean = new double[dim];
        var sq = new double[dim];
        foreach (var r in rows)
            for (int d = 0; d < dim; d++)
            {
                mean[d] += features[r][d];
                sq[d] += (double)features[r][d] * features[r][d];
            }
        var m = new float[dim];
        var s = new float[dim];
        for (int d = 0; d < dim; d++)
        {
            m[d] = (float)(mean[d] / rows.Length);
            s[d] = (float)Math.Max(Math.Sqrt(Math.Max(sq[d] / rows.Length - m[d] * (double)m[d], 0)), 1e-6);
        }
        return (m, s);
    }

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
