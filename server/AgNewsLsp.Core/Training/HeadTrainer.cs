using AgNewsLsp.Engine;
using AgNewsLsp.Evaluation;
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
}

public sealed record HeadTrainingResult(ClassifierHead Head, EvaluationReport Validation, IReadOnlyList<EpochStats> History, int TrainCount, int ValidationCount);

/// <summary>
/// Trains a head on frozen features: a seeded, stratified validation split held out of train; features
/// standardised with train statistics; AdamW on cross-entropy over logits; early stopping on validation
/// loss, keeping the best epoch's weights. Same inputs and seed give the same head.
/// </summary>
public static class HeadTrainer
{
    public static HeadTrainingResult Train(float[][] features, int[] labels, IReadOnlyList<string> labelNames, HeadTrainingOptions options,
        IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        TorchRuntime.EnsureInitialized();
        if (features.Length != labels.Length) throw new ArgumentException("features and labels differ in length.");
        if (options.ValidationFraction is <= 0 or >= 1) throw new ArgumentException("validationFraction must be between 0 and 1.");
        if (options.MaxEpochs < 1) throw new ArgumentException("maxEpochs must be at least 1.");
        var (trainIdx, valIdx) = StratifiedSplit(labels, labelNames.Count, options.ValidationFraction, options.Seed);
        if (trainIdx.Length < labelNames.Count || valIdx.Length == 0)
            throw new ArgumentException($"Too little data to train: {features.Length} rows give {trainIdx.Length} for training and {valIdx.Length} for validation.");

        int dim = features[0].Length;
        torch.random.manual_seed(options.Seed);
        var head = new ClassifierHead(options.Kind, dim, labelNames.Count);
        var (mean, std) = Standardization(features, trainIdx, dim);
        head.SetStandardization(mean, std);

        using var xTrain = Rows(features, trainIdx, dim);
        using var yTrain = tensor(trainIdx.Select(i => (long)labels[i]).ToArray());
        using var xVal = Rows(features, valIdx, dim);
        using var yVal = tensor(valIdx.Select(i => (long)labels[i]).ToArray());

        var optimizer = optim.AdamW(head.parameters(), options.LearningRate, weight_decay: options.WeightDecay);
        var shuffle = new Random(options.Seed);
        var history = new List<EpochStats>();
        double bestLoss = double.PositiveInfinity;
        Dictionary<string, Tensor>? best = null;
        int sinceBest = 0;
        try
        {
            for (int epoch = 1; epoch <= options.MaxEpochs; epoch++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                head.train();
                var order = Enumerable.Range(0, trainIdx.Length).OrderBy(_ => shuffle.Next()).Select(i => (long)i).ToArray();
                double lossSum = 0;
                long correct = 0;
                for (int start = 0; start < order.Length; start += options.BatchSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    var batch = tensor(order.AsSpan(start, Math.Min(options.BatchSize, order.Length - start)).ToArray());
                    var x = xTrain.index_select(0, batch);
                    var y = yTrain.index_select(0, batch);
                    optimizer.zero_grad();
                    var logits = head.forward(x);
                    var loss = F.cross_entropy(logits, y);
                    loss.backward();
                    optimizer.step();
                    lossSum += loss.item<float>() * batch.shape[0];
                    correct += logits.argmax(1).eq(y).sum().item<long>();
                }
                var (valLoss, valAcc) = Score(head, xVal, yVal);
                history.Add(new EpochStats(epoch, lossSum / order.Length, (double)correct / order.Length, valLoss, valAcc));
                progress?.Report(new WorkProgress("training", epoch, options.MaxEpochs,
                    $"epoch {epoch}: loss {lossSum / order.Length:F4}, validation loss {valLoss:F4}, accuracy {valAcc:P2}"));

                if (valLoss < bestLoss - 1e-5)
                {
                    bestLoss = valLoss;
                    sinceBest = 0;
                    DisposeAll(best);
                    best = head.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
                }
                else if (++sinceBest >= options.Patience) break;
            }
            if (best is not null)
                using (no_grad())
                    foreach (var (name, parameter) in head.state_dict())
                        parameter.copy_(best[name]);
        }
        catch
        {
            head.Dispose();
            throw;
        }
        finally
        {
            DisposeAll(best);
            optimizer.Dispose();
        }

        head.eval();
        var valFeatures = valIdx.Select(i => features[i]).ToArray();
        var report = Metrics.Compute(valIdx.Select(i => labels[i]).ToArray(), head.PredictProbabilities(valFeatures), labelNames);
        return new HeadTrainingResult(head, report, history, trainIdx.Length, valIdx.Length);
    }

    private static (double Loss, double Accuracy) Score(ClassifierHead head, Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        head.eval();
        var logits = head.forward(x);
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
