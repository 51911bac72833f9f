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

// The hybrid+layers kind: the hybrid part, copies of the encoder's top layers trained on frozen states, and their mix.
public static partial class HeadTrainer
{
    /// <summary>
    /// The hybrid+layers kind: the hybrid part solved as above; then copies of the encoder's top layers, with a new
    /// linear classifier over [CLS] and the token mean, trained by AdamW on the frozen states below them (batches of
    /// similar lengths, the layers at a smaller rate than the classifier); the epoch with the lowest validation loss is
    /// kept and a temperature fitted. Last, the weight that mixes the two parts' log-probabilities is chosen on the
    /// validation rows. Every torch call runs on the torch thread, a batch at a time, so hovers go in between.
    /// </summary>
    private static HeadTrainingResult TrainHybridLayers(float[][] features, IReadOnlyList<string> texts, int[] labels,
        IReadOnlyList<string> labelNames, HeadTrainingOptions options, int[] trainIdx, int[] valIdx, TopLayerInput input,
        IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        // The solver's share of the progress bar is small: the layers take nearly all of the time.
        var hybrid = SolveHybrid(features, texts, labels, labelNames, options, trainIdx, valIdx, WorkProgress.Scaled(progress, 0, 2),
            cancellationToken);
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
            head = torchThread.Run(() => hybrid.Fill(new ClassifierHead(HeadKind.HybridLayers, hybrid.Dim, classes,
                lexicalFeatures: options.Lexical, topLayers: top)),
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

    /// <summary>
    /// Trains top layers (see <see cref="TrainHybridLayers"/>); returns them at their best epoch, with that epoch's validation
    /// logits.
    /// </summary>
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
                    if (++done % 50 == 0) progress?.Report(new WorkProgress("training", done, total,
                        $"epoch {epoch}: loss {lossSum / Math.Max(1, done - (epoch - 1) * batchesPerEpoch) / batchSize:F4}"));
                }
                var valLogits = states.Logits(top, valIdx, cancellationToken);
                double valLoss = Calibration.LogLoss(valLogits, valGold, classes, 1);
                double valAccuracy = Metrics.Compute(valGold, Calibration.Softmax(valLogits, classes, 1), labelNames).Accuracy;
                var stats = new EpochStats(epoch, lossSum / trainIdx.Length, (double)correct / trainIdx.Length, valLoss, valAccuracy);
                history.Add(stats);
                progress?.Report(new WorkProgress("training", done, total,
                    $"epoch {epoch}: loss {stats.TrainLoss:F4}, validation loss {valLoss:F4}, accuracy {valAccuracy:P2}")
                    { IsSummary = true });
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
                throw new InvalidDataException(
                    $"The top layers diverged: no epoch gave a finite validation loss (last: {history[^1].ValidationLoss}). " +
                    "Train again with another seed.");
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
}
