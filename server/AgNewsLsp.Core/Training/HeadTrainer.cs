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
    public int MaxEpochs { get; init; } = TrainingSettings.DefaultMaxEpochs;
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
    /// <summary>Hybrid+layers heads: epochs over the training rows for the top layers (the epoch with the lowest validation loss is kept).</summary>
    public int TopLayerEpochs { get; init; } = TrainingSettings.DefaultTopLayerEpochs;
    /// <summary>Hybrid+layers heads: AdamW's learning rate for the copied encoder layers (small: they start trained).</summary>
    public double TopLayerLearningRate { get; init; } = 2e-4;
    /// <summary>Hybrid+layers heads: AdamW's learning rate for their new linear classifier.</summary>
    public double TopClassifierLearningRate { get; init; } = 1e-3;
    /// <summary>Hybrid+layers heads: texts per AdamW step of the top layers.</summary>
    public int TopLayerBatchSize { get; init; } = 32;
}

/// <summary>What a hybrid+layers head's top layers train on: where they sit, the frozen states below them, and the encoder they copy.</summary>
public sealed record TopLayerInput(TopLayersShape Shape, TokenStates States, BertModel Encoder);

/// <summary>Losses and accuracies after one epoch (or solver pass) of training.</summary>
public sealed record EpochStats(int Epoch, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy);

public sealed record HeadTrainingResult(ClassifierHead Head, EvaluationReport Validation, IReadOnlyList<EpochStats> History, int TrainCount, int ValidationCount)
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
public static class HeadTrainer
{
    /// <param name="texts">The texts of the rows; read by hybrid heads (their n-grams), may be null for the others.</param>
    /// <param name="top">The states hybrid+layers heads train their top layers on; null for the other kinds.</param>
    public static HeadTrainingResult Train(float[][] features, IReadOnlyList<string>? texts, int[] labels, IReadOnlyList<string> labelNames,
        HeadTrainingOptions options, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default, TopLayerInput? top = null)
    {
        TorchRuntime.EnsureInitialized();
        if (features.Length != labels.Length) throw new ArgumentException("features and labels differ in length.");
        if (options.Kind.HasNGrams() && (texts is null || texts.Count != features.Length))
            throw new ArgumentException($"A {options.Kind.Name()} head needs the text of every row.");
        if ((options.Kind == HeadKind.HybridLayers) != (top is not null) || (top is not null && top.States.Count != features.Length))
            throw new ArgumentException($"A {options.Kind.Name()} head {(top is null ? "needs the token states of every row" : "takes no token states")}.");
        if (labelNames.Count < HeadLimits.MinClasses) throw new ArgumentException($"A head needs at least {HeadLimits.MinClasses} classes.");
        HeadLimits.CheckClassCount(labelNames.Count, "The training data");
        // The hashed space narrows as classes grow, so the n-gram matrix stays within its budget (HeadLimits).
        options = options with { Lexical = options.Lexical with { Bits = Math.Min(options.Lexical.Bits, HeadLimits.NGramBitsFor(labelNames.Count)) } };
        TrainingSettings.Check(options.MaxEpochs, options.ValidationFraction, limit: null);
        TrainingSettings.Check(options.TopLayerEpochs, validationFraction: null, limit: null);
        var (trainIdx, valIdx) = StratifiedSplit(labels, labelNames.Count, options.ValidationFraction, options.Seed);
        if (trainIdx.Length < labelNames.Count || valIdx.Length == 0)
            throw new ArgumentException($"Too little data to train: {features.Length} rows give {trainIdx.Length} for training and {valIdx.Length} for validation.");

        if (options.Kind == HeadKind.Hybrid)
        {
            var hybrid = SolveHybrid(features, texts!, labels, labelNames, options, trainIdx, valIdx, progress, cancellationToken);
            var head = TorchThread.Shared.Run(() => hybrid.Fill(new ClassifierHead(HeadKind.Hybrid, hybrid.Dim, labelNames.Count, lexicalFeatures: options.Lexical)),
                TorchPriority.Background);
            return new HeadTrainingResult(head, hybrid.Report, hybrid.History, trainIdx.Length, valIdx.Length) { UncalibratedValidation = hybrid.Uncalibrated };
        }
        if (options.Kind == HeadKind.HybridLayers)
            return TrainHybridLayers(features, texts!, labels, labelNames, options, trainIdx, valIdx, top!, progress, cancellationToken);

        // Torch work runs on the torch thread an epoch at a time (a hover may go in between); progress is
        // reported from this thread, so a slow progress listener never holds the torch thread.
        var torchThread = TorchThread.Shared;
        var session = torchThread.Run(() => new Session(features, labels, trainIdx, valIdx, labelNames.Count, options), TorchPriority.Background, cancellationToken);
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
                    $"epoch {epoch}: loss {stats.TrainLoss:F4}, validation loss {stats.ValidationLoss:F4}, accuracy {stats.ValidationAccuracy:P2}") { IsSummary = true });
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

    /// <summary>The tensors, head and optimizer of one training run; every method runs on the torch thread.</summary>
    private sealed class Session : IDisposable
    {
        private readonly HeadTrainingOptions _options;
        private readonly ClassifierHead _head;
        private readonly Tensor _xTrain, _yTrain, _xVal, _yVal;
        private readonly optim.Optimizer _optimizer;
        private readonly Random _shuffle;
        private Dictionary<string, Tensor>? _best;
        private bool _headHandedOut;

        public Session(float[][] features, int[] labels, int[] trainIdx, int[] valIdx, int classCount, HeadTrainingOptions options)
        {
            _options = options;
            int dim = features[0].Length;
            torch.random.manual_seed(options.Seed);
            _head = new ClassifierHead(options.Kind, dim, classCount);
            var (mean, std) = Standardization(features, trainIdx, dim);
            _head.SetStandardization(mean, std);
            _xTrain = Rows(features, trainIdx, dim);
            _yTrain = tensor(trainIdx.Select(i => (long)labels[i]).ToArray());
            _xVal = Rows(features, valIdx, dim);
            _yVal = tensor(valIdx.Select(i => (long)labels[i]).ToArray());
            _optimizer = optim.AdamW(_head.parameters(), options.LearningRate, weight_decay: options.WeightDecay);
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
                var batch = tensor(order.AsSpan(start, Math.Min(_options.BatchSize, order.Length - start)).ToArray());
                var x = _xTrain.index_select(0, batch);
                var y = _yTrain.index_select(0, batch);
                _optimizer.zero_grad();
                var logits = _head.Logits(x);
                var loss = F.cross_entropy(logits, y);
                loss.backward();
                _optimizer.step();
                lossSum += loss.item<float>() * batch.shape[0];
                correct += logits.argmax(1).eq(y).sum().item<long>();
            }
            var (valLoss, valAcc) = Score(_head, _xVal, _yVal);
            return new EpochStats(epoch, lossSum / order.Length, (double)correct / order.Length, valLoss, valAcc);
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
            using (var raw = _head.Logits(_xVal))
                logits = raw.data<float>().ToArray();
            var (temperature, report, uncalibrated) = Calibration.Calibrate(logits, gold, labelNames);
            _head.SetTemperature(temperature);
            _headHandedOut = true;
            return (_head, report, uncalibrated);
        }

        public void Dispose()
        {
            DisposeAll(_best);
            _optimizer.Dispose();
            foreach (var t in new[] { _xTrain, _yTrain, _xVal, _yVal }) t.Dispose();
            if (!_headHandedOut) _head.Dispose();
        }
    }

    private static (double Loss, double Accuracy) Score(ClassifierHead head, Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        head.eval();
        var logits = head.Logits(x);
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

    /// <summary>Training rows scored after each hybrid pass for the history (all of them when there are fewer).</summary>
    private const int TrainingHistorySample = 5000;

    /// <summary>
    /// The hybrid kind: n-grams counted (in parallel) and weighted with idf from the training rows; every row becomes
    /// [standardised encoder features x scale, tf-idf n-grams (a unit vector), 1]; one-vs-rest linear SVMs solved by
    /// dual coordinate descent, a pass at a time (the history's epochs), until converged. The weights then fill a
    /// hybrid <see cref="ClassifierHead"/>, whose logits are the SVM scores, and a temperature turns them into
    /// calibrated probabilities.
    /// </summary>
    private static HybridSolution SolveHybrid(float[][] features, IReadOnlyList<string> texts, int[] labels, IReadOnlyList<string> labelNames,
        HeadTrainingOptions options, int[] trainIdx, int[] valIdx, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        var lexical = options.Lexical;
        var lexicalRows = LexicalRow.Featurize(lexical, texts);
        var idf = InverseDocumentFrequencies(lexicalRows, trainIdx, lexical.Buckets);
        int dim = features[0].Length;
        var (mean, std) = Standardization(features, trainIdx, dim);
        float scale = (float)options.EncoderFeatureScale;
        SvmRows Rows(int[] idx)
        {
            var dense = new float[idx.Length][];
            Parallel.For(0, idx.Length, k =>
            {
                var row = new float[dim];
                var source = features[idx[k]];
                for (int d = 0; d < dim; d++) row[d] = (source[d] - mean[d]) / std[d] * scale;
                dense[k] = row;
            });
            return SvmRows.From(dense, LexicalBag.Build(idx.Select(i => lexicalRows[i]).ToArray(), idf), lexical.Buckets);
        }
        var train = Rows(trainIdx);
        var validation = Rows(valIdx);
        var trainGold = trainIdx.Select(i => labels[i]).ToArray();
        var valGold = valIdx.Select(i => labels[i]).ToArray();
        // The history's training loss and accuracy come from a fixed sample: scoring every row after every pass
        // would cost a third of the training time for a number that only draws the curve.
        int stride = Math.Max(1, trainIdx.Length / TrainingHistorySample);
        var sampleIdx = Enumerable.Range(0, trainIdx.Length).Where(k => k % stride == 0).ToArray();
        var trainSample = sampleIdx.Length == trainIdx.Length ? train : Rows(sampleIdx.Select(k => trainIdx[k]).ToArray());
        var sampleGold = sampleIdx.Select(k => trainGold[k]).ToArray();
        int classes = labelNames.Count;
        cancellationToken.ThrowIfCancellationRequested();

        var history = new List<EpochStats>();
        var weights = LinearSvmSolver.Solve(train, trainGold, classes, options.HybridC, options.MaxEpochs, options.HybridTolerance, options.Seed,
            (pass, w) =>
            {
                var (trainLoss, trainAcc) = ScoreSvm(w, trainSample, sampleGold, cancellationToken);
                var (valLoss, valAcc) = ScoreSvm(w, validation, valGold, cancellationToken);
                history.Add(new EpochStats(pass, trainLoss, trainAcc, valLoss, valAcc));
                progress?.Report(new WorkProgress("training", pass, options.MaxEpochs,
                    $"pass {pass}: loss {trainLoss:F4}, validation loss {valLoss:F4}, accuracy {valAcc:P2}") { IsSummary = true });
                return true;
            }, cancellationToken);

        var valLogits = Logits(weights, validation, cancellationToken);
        var (temperature, report, uncalibrated) = Calibration.Calibrate(valLogits, valGold, labelNames);
        return new HybridSolution(dim, mean, std, idf, scale, weights, temperature, report, uncalibrated, history);
    }

    /// <summary>
    /// The hybrid+layers kind: the hybrid part solved as above; then copies of the encoder's top layers, with a new
    /// linear classifier over [CLS] and the token mean, trained by AdamW on the frozen states below them (batches of
    /// similar lengths, the layers at a smaller rate than the classifier); the epoch with the lowest validation loss is
    /// kept and a temperature fitted. Last, the weight that mixes the two parts' log-probabilities is chosen on the
    /// validation rows. Every torch call runs on the torch thread, a batch at a time, so hovers go in between.
    /// </summary>
    private static HeadTrainingResult TrainHybridLayers(float[][] features, IReadOnlyList<string> texts, int[] labels, IReadOnlyList<string> labelNames,
        HeadTrainingOptions options, int[] trainIdx, int[] valIdx, TopLayerInput input, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        // The solver's share of the progress bar is small: the layers take nearly all of the time.
        var hybrid = SolveHybrid(features, texts, labels, labelNames, options with { MaxEpochs = TrainingSettings.DefaultMaxEpochs },
            trainIdx, valIdx, WorkProgress.Scaled(progress, 0, 2), cancellationToken);
        var (top, topValLogits, history) = TrainTopLayers(input, labels, labelNames, options, trainIdx, valIdx,
            WorkProgress.Scaled(progress, 2, 100), cancellationToken);
        var torchThread = TorchThread.Shared;
        int classes = labelNames.Count;
        var valGold = valIdx.Select(i => labels[i]).ToArray();
        float[][] valLogitRows, valFeatures;
        IReadOnlyList<LexicalRow> valLexical;
        double topTemperature;
        ClassifierHead head;
        try
        {
            valLogitRows = RowMajor.Rows(topValLogits, classes);
            topTemperature = Calibration.FitTemperature(topValLogits, valGold, classes);
            valFeatures = valIdx.Select(i => features[i]).ToArray();
            valLexical = LexicalRow.Featurize(options.Lexical, valIdx.Select(i => texts[i]).ToArray());
            // From here the head owns the top layers (Fill disposes it, and them, if it fails).
            head = torchThread.Run(() => hybrid.Fill(new ClassifierHead(HeadKind.HybridLayers, hybrid.Dim, classes, lexicalFeatures: options.Lexical, topLayers: top)),
                TorchPriority.Background);
        }
        catch
        {
            torchThread.Run(top.Dispose, TorchPriority.Background);
            throw;
        }
        try
        {
            // The mixing weight on the hybrid's log-probabilities, in tenths, by validation accuracy (the first best):
            // through the head's own mixing (PredictProbabilities, on the top layers' logits of the stored states), so
            // what is chosen is what is served. One torch-thread item each.
            EvaluationReport Score(double topTemperature, double hybridWeight) => torchThread.Run(() =>
            {
                head.SetMix(topTemperature, hybridWeight);
                return Metrics.Compute(valGold, head.PredictProbabilities(valFeatures, valLexical, valLogitRows), labelNames);
            }, TorchPriority.Background, cancellationToken);
            EvaluationReport? best = null;
            double bestWeight = 0;
            for (int tenth = 0; tenth <= 10; tenth++)
            {
                var report = Score(topTemperature, tenth / 10.0);
                if (best is null || report.Accuracy > best.Accuracy) (best, bestWeight) = (report, tenth / 10.0);
            }
            torchThread.Run(() => head.SetTemperature(1), TorchPriority.Background);
            var uncalibrated = Score(1, bestWeight);
            torchThread.Run(() =>
            {
                head.SetTemperature(hybrid.Temperature);
                head.SetMix(topTemperature, bestWeight);
            }, TorchPriority.Background);
            return new HeadTrainingResult(head, best!, history, trainIdx.Length, valIdx.Length) { UncalibratedValidation = uncalibrated };
        }
        catch
        {
            torchThread.Run(head.Dispose, TorchPriority.Background);
            throw;
        }
    }

    /// <summary>Trains top layers (see <see cref="TrainHybridLayers"/>); returns them at their best epoch, with that epoch's validation logits.</summary>
    private static (TopLayers Top, float[] ValidationLogits, List<EpochStats> History) TrainTopLayers(TopLayerInput input, int[] labels,
        IReadOnlyList<string> labelNames, HeadTrainingOptions options, int[] trainIdx, int[] valIdx, IProgress<WorkProgress>? progress,
        CancellationToken cancellationToken)
    {
        var torchThread = TorchThread.Shared;
        var states = input.States;
        int classes = labelNames.Count, batchSize = options.TopLayerBatchSize;
        var (top, layerOptimizer, classifierOptimizer) = torchThread.Run(() =>
        {
            torch.random.manual_seed(options.Seed); // the classifier's initial weights and every dropout mask
            var t = new TopLayers(input.Shape, classes);
            try
            {
                t.CopyFrom(input.Encoder);
                return (t, optim.AdamW(t.LayerParameters(), options.TopLayerLearningRate, weight_decay: options.WeightDecay),
                    optim.AdamW(t.ClassifierParameters(), options.TopClassifierLearningRate, weight_decay: options.WeightDecay));
            }
            catch
            {
                t.Dispose();
                throw;
            }
        }, TorchPriority.Background, cancellationToken);
        var shuffle = new Random(options.Seed);
        var valGold = valIdx.Select(i => labels[i]).ToArray();
        var history = new List<EpochStats>();
        Dictionary<string, Tensor>? best = null;
        float[]? bestValLogits = null;
        double bestLoss = double.PositiveInfinity;
        bool handedOut = false;
        try
        {
            int batchesPerEpoch = (trainIdx.Length + batchSize - 1) / batchSize, total = batchesPerEpoch * options.TopLayerEpochs, done = 0;
            for (int epoch = 1; epoch <= options.TopLayerEpochs; epoch++)
            {
                // Similar lengths share a batch (less padding): shuffle, sort within windows of 50 batches, shuffle the batches.
                var batches = trainIdx.OrderBy(_ => shuffle.Next()).Chunk(batchSize * 50)
                    .SelectMany(w => w.OrderBy(r => states.Lengths[r])).Chunk(batchSize).OrderBy(_ => shuffle.Next()).ToArray();
                double lossSum = 0;
                long correct = 0;
                foreach (var rows in batches)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var (loss, right) = torchThread.Run(() =>
                    {
                        using var scope = NewDisposeScope();
                        top.train();
                        var (x, mask) = states.Batch(rows);
                        var gold = tensor(rows.Select(r => (long)labels[r]).ToArray());
                        layerOptimizer.zero_grad();
                        classifierOptimizer.zero_grad();
                        // A waiting hover runs at the yield points (it takes no gradients and leaves no tensor behind),
                        // so it waits for a third of a layer or for the backward pass, not for the whole batch.
                        var yieldPoint = torchThread.YieldToInteractive;
                        var logits = top.Forward(x, mask, yieldPoint);
                        var loss = F.cross_entropy(logits, gold);
                        loss.backward();
                        yieldPoint();
                        layerOptimizer.step();
                        classifierOptimizer.step();
                        return (loss.item<float>() * (double)rows.Length, logits.argmax(1).eq(gold).sum().item<long>());
                    }, TorchPriority.Background, cancellationToken);
                    lossSum += loss;
                    correct += right;
                    if (++done % 50 == 0) progress?.Report(new WorkProgress("training", done, total, $"epoch {epoch}: loss {lossSum / Math.Max(1, done - (epoch - 1) * batchesPerEpoch) / batchSize:F4}"));
                }
                var valLogits = states.Logits(top, valIdx, cancellationToken);
                double valLoss = Calibration.LogLoss(valLogits, valGold, classes, 1);
                double valAccuracy = Metrics.Compute(valGold, Calibration.Softmax(valLogits, classes, 1), labelNames).Accuracy;
                var stats = new EpochStats(epoch, lossSum / trainIdx.Length, (double)correct / trainIdx.Length, valLoss, valAccuracy);
                history.Add(stats);
                progress?.Report(new WorkProgress("training", done, total,
                    $"epoch {epoch}: loss {stats.TrainLoss:F4}, validation loss {valLoss:F4}, accuracy {valAccuracy:P2}") { IsSummary = true });
                if (Calibration.Improves(valLoss, bestLoss))
                {
                    bestLoss = valLoss;
                    bestValLogits = valLogits;
                    torchThread.Run(() =>
                    {
                        DisposeAll(best);
                        best = top.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
                    }, TorchPriority.Background);
                }
            }
            if (best is null || bestValLogits is null)
                throw new InvalidDataException($"The top layers diverged: no epoch gave a finite validation loss (last: {history[^1].ValidationLoss}). Train again with another seed.");
            torchThread.Run(() =>
            {
                using var noGrad = no_grad();
                foreach (var (name, parameter) in top.state_dict()) parameter.copy_(best[name]);
                top.eval();
            }, TorchPriority.Background);
            handedOut = true;
            return (top, bestValLogits, history);
        }
        finally
        {
            torchThread.Run(() =>
            {
                DisposeAll(best);
                layerOptimizer.Dispose();
                classifierOptimizer.Dispose();
                if (!handedOut) top.Dispose();
            }, TorchPriority.Background);
        }
    }

    /// <summary>A solved hybrid problem: what fills the hybrid part of a head, and how it scored on the validation rows.</summary>
    private sealed record HybridSolution(int Dim, float[] Mean, float[] Std, float[] Idf, float Scale, SvmWeights[] Weights, double Temperature,
        EvaluationReport Report, EvaluationReport Uncalibrated, IReadOnlyList<EpochStats> History)
    {
        /// <summary>Sets <paramref name="head"/>'s hybrid part (on the torch thread); disposes it if that fails.</summary>
        public ClassifierHead Fill(ClassifierHead head)
        {
            try
            {
                int classes = Weights.Length, buckets = head.Lexical!.Buckets;
                head.SetStandardization(Mean, Std);
                head.SetIdf(Idf);
                // The head standardises and its linear layer multiplies: scaling the weights is scaling the features.
                var linear = new float[classes * Dim];
                var lexicalWeights = new float[buckets * classes];
                var bias = new float[classes];
                for (int k = 0; k < classes; k++)
                {
                    for (int d = 0; d < Dim; d++) linear[k * Dim + d] = Weights[k].Dense[d] * Scale;
                    for (int b = 0; b < buckets; b++) lexicalWeights[b * classes + k] = Weights[k].Sparse[b];
                    bias[k] = (float)Weights[k].Bias;
                }
                head.SetLinearWeights(linear, bias, lexicalWeights);
                head.SetTemperature(Temperature);
                head.eval();
                return head;
            }
            catch
            {
                head.Dispose();
                throw;
            }
        }
    }

    /// <summary>Each row's score under each class's weights, row-major [rows * classes].</summary>
    private static float[] Logits(SvmWeights[] weights, SvmRows rows, CancellationToken cancellationToken)
    {
        var logits = new float[rows.Count * weights.Length];
        // A row costs classes x features: with many classes a pass's scoring takes seconds, so a cancel is seen per row.
        Parallel.For(0, rows.Count, new ParallelOptions { CancellationToken = cancellationToken }, r =>
        {
            for (int k = 0; k < weights.Length; k++) logits[r * weights.Length + k] = (float)weights[k].Score(rows, r);
        });
        return logits;
    }

    /// <summary>Cross-entropy of the softmax of the scores (temperature 1) and accuracy: the history's numbers for a pass.</summary>
    private static (double Loss, double Accuracy) ScoreSvm(SvmWeights[] weights, SvmRows rows, int[] gold, CancellationToken cancellationToken)
    {
        var logits = Logits(weights, rows, cancellationToken);
        int k = weights.Length, correct = 0;
        for (int r = 0; r < gold.Length; r++)
            if (Metrics.ArgMax(logits.AsSpan(r * k, k)) == gold[r]) correct++;
        return (Calibration.LogLoss(logits, gold, k, 1), (double)correct / Math.Max(gold.Length, 1));
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
