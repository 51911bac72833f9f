using AgNewsLsp.Evaluation;
using AgNewsLsp.Features;
using AgNewsLsp.Native;
using AgNewsLsp.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace AgNewsLsp.Bench;

/// <summary>
/// A small head over frozen token vectors: layer norm, a few learned query vectors each taking a softmax-weighted
/// mean of the tokens, then dropout and a linear classifier over the concatenated means.
/// </summary>
public sealed class AttentionPoolHead : Module<Tensor, Tensor, Tensor>
{
    private readonly LayerNorm norm;
    private readonly Parameter queries;
    private readonly Dropout dropout;
    private readonly Linear output;
    private readonly double _scale;

    public AttentionPoolHead(int hidden, int heads, int classes, double dropoutRate = 0.1) : base(nameof(AttentionPoolHead))
    {
        norm = LayerNorm(hidden);
        queries = Parameter(randn(heads, hidden) * 0.02);
        dropout = Dropout(dropoutRate);
        output = Linear(heads * hidden, classes);
        _scale = 1 / Math.Sqrt(hidden);
        RegisterComponents();
    }

    /// <summary>Logits [rows, classes] from tokens [rows, width, hidden] and mask [rows, width].</summary>
    public override Tensor forward(Tensor tokens, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var x = norm.forward(tokens);
        var scores = matmul(x, queries.t()) * _scale;                       // [rows, width, heads]
        scores = scores.masked_fill(mask.logical_not().unsqueeze(-1), float.NegativeInfinity);
        var weights = F.softmax(scores, 1);                                  // over the tokens
        var pooled = matmul(weights.transpose(1, 2), x);                     // [rows, heads, hidden]
        return output.forward(dropout.forward(pooled.flatten(1))).MoveToOuterDisposeScope();
    }
}

public sealed record AttentionResult(double ValidationAccuracy, EvaluationReport Test, int Epochs, double Temperature);

public static class AttentionHead
{
    /// <summary>
    /// Trains on the same kind of split as <see cref="HeadTrainer"/> (stratified, seeded, 10% held out): AdamW on
    /// cross-entropy, early stopping on validation loss keeping the best epoch, a temperature fitted on the
    /// validation rows; then the test rows' metrics. Every torch call runs on the torch thread.
    /// </summary>
    public static AttentionResult TrainAndEvaluate(TokenStates train, int[] labels, TokenStates test, int[] testLabels, IReadOnlyList<string> labelNames,
        int seed, int heads = 4, int maxEpochs = 30, int patience = 3, int batchSize = 64, double learningRate = 1e-3, double weightDecay = 1e-2)
    {
        int classes = labelNames.Count;
        var (trainIdx, valIdx) = HeadTrainer.StratifiedSplit(labels, classes, 0.1, seed);
        var torchThread = TorchThread.Shared;
        var (head, optimizer) = torchThread.Run(() =>
        {
            torch.random.manual_seed(seed);
            var h = new AttentionPoolHead(train.Hidden, heads, classes);
            return (h, optim.AdamW(h.parameters(), learningRate, weight_decay: weightDecay));
        }, TorchPriority.Background);
        var shuffle = new Random(seed);
        Dictionary<string, Tensor>? best = null;
        double bestLoss = double.PositiveInfinity, bestAccuracy = 0;
        int sinceBest = 0, epochs = 0;
        try
        {
            for (int epoch = 1; epoch <= maxEpochs; epoch++)
            {
                epochs = epoch;
                var order = trainIdx.OrderBy(_ => shuffle.Next()).ToArray();
                torchThread.Run(() =>
                {
                    head.train();
                    for (int start = 0; start < order.Length; start += batchSize)
                    {
                        using var scope = NewDisposeScope();
                        var rows = order.AsSpan(start, Math.Min(batchSize, order.Length - start)).ToArray();
                        var (x, mask) = train.Batch(rows);
                        optimizer.zero_grad();
                        var loss = F.cross_entropy(head.forward(x, mask), tensor(rows.Select(r => (long)labels[r]).ToArray()));
                        loss.backward();
                        optimizer.step();
                    }
                }, TorchPriority.Background);
                var logits = train.Logits(head, valIdx);
                var gold = valIdx.Select(i => labels[i]).ToArray();
                double loss = Calibration.LogLoss(logits, gold, classes, 1);
                double accuracy = Metrics.Compute(gold, Calibration.Softmax(logits, classes, 1), labelNames).Accuracy;
                if (loss < bestLoss - 1e-5)
                {
                    (bestLoss, bestAccuracy, sinceBest) = (loss, accuracy, 0);
                    torchThread.Run(() =>
                    {
                        if (best is not null) foreach (var t in best.Values) t.Dispose();
                        best = head.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
                    }, TorchPriority.Background);
                }
                else if (++sinceBest >= patience) break;
            }
            torchThread.Run(() =>
            {
                using var noGrad = no_grad();
                foreach (var (name, parameter) in head.state_dict()) parameter.copy_(best![name]);
            }, TorchPriority.Background);
            var valLogits = train.Logits(head, valIdx);
            double temperature = Calibration.FitTemperature(valLogits, valIdx.Select(i => labels[i]).ToArray(), classes);
            var testLogits = test.Logits(head, Enumerable.Range(0, test.Count).ToArray());
            var report = Metrics.Compute(testLabels, Calibration.Softmax(testLogits, classes, temperature), labelNames);
            return new AttentionResult(bestAccuracy, report, epochs, temperature);
        }
        finally
        {
            torchThread.Run(() =>
            {
                if (best is not null) foreach (var t in best.Values) t.Dispose();
                optimizer.Dispose();
                head.Dispose();
            }, TorchPriority.Background);
        }
    }
}
