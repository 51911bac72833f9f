using System.Diagnostics;
using AgNewsLsp.Data;
using AgNewsLsp.Engine;
using AgNewsLsp.Evaluation;
using AgNewsLsp.Features;
using AgNewsLsp.Model;
using AgNewsLsp.Native;
using AgNewsLsp.Settings;
using AgNewsLsp.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace AgNewsLsp.Bench;

/// <summary>
/// Trained copies of the encoder's last layers over the frozen states of the layers below them, then [CLS] and the
/// mean of the tokens into a linear classifier. The frozen encoder is unchanged; the head holds its own layers.
/// </summary>
public sealed class TopLayerHead : Module<Tensor, Tensor, Tensor>
{
    private readonly ModuleList<BertLayer> layers;
    private readonly Dropout dropout;
    private readonly Linear classifier;

    public TopLayerHead(IEnumerable<BertLayer> layers, int hidden, int classes, double dropoutRate = 0.1) : base(nameof(TopLayerHead))
    {
        this.layers = ModuleList(layers.ToArray());
        dropout = Dropout(dropoutRate);
        classifier = Linear(2 * hidden, classes);
        RegisterComponents();
    }

    public IEnumerable<Parameter> LayerParameters() => layers.parameters();
    public IEnumerable<Parameter> ClassifierParameters() => classifier.parameters();

    /// <summary>Logits [rows, classes] from states [rows, width, hidden] and mask [rows, width] (true on tokens).</summary>
    public override Tensor forward(Tensor states, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var attend = mask.view(mask.shape[0], 1, 1, mask.shape[1]);
        var x = states;
        foreach (var layer in layers) x = layer.forward(x, attend);
        var cls = x.select(1, 0);
        var weights = mask.unsqueeze(-1).to(ScalarType.Float32);
        var mean = (x * weights).sum(1) / weights.sum(1);
        return classifier.forward(dropout.forward(cat([cls, mean], 1))).MoveToOuterDisposeScope();
    }
}

public sealed partial class BenchRun
{
    // ---------------------------------------------------------------- 1f. a trained top layer over frozen states
    private async Task TopLayerAsync()
    {
        string section = $"1f trained top {options.TopLayers ?? 1} layer(s) (MiniLM)";
        var clock = Stopwatch.StartNew();
        var (train, test) = (TrainSplit, TestSplit);
        var engine = await FeatureEngineAsync(null);
        const int maxTokens = 128;
        int frozen = engine.Encoder.Model.Config.NumHiddenLayers - (options.TopLayers ?? 1);
        int classes = AgNewsLabels.Names.Count;
        var (trainIdx, valIdx) = HeadTrainer.StratifiedSplit(train.Labels, classes, new HeadTrainingOptions().ValidationFraction, 42);

        Stage($"top layer: states after layer {frozen} of {train.Texts.Length} train + {test.Texts.Length} test texts");
        var encodeClock = Stopwatch.StartNew();
        var trainStates = TokenStates.Encode(engine.Encoder, train.Texts, maxTokens, frozen);
        var testStates = TokenStates.Encode(engine.Encoder, test.Texts, maxTokens, frozen);
        encodeClock.Stop();
        report.Add(section, "token states (bf16-stored)", $"after layer {frozen}, {train.Texts.Length + test.Texts.Length} texts",
            encodeClock.Elapsed.TotalSeconds, "s", note: $"{(trainStates.Bytes + testStates.Bytes) / (1024.0 * 1024):F0} MiB");

        // The hybrid head on the same split (HeadTrainer holds out the same rows), then the two combined in log space
        // with the weight chosen on the validation rows.
        var mini = await FeaturesAsync(null, Pooling.ClsLast4);
        var trained = HeadTrainer.Train(mini.Train, train.Texts, train.Labels, AgNewsLabels.Names, new HeadTrainingOptions { Kind = HeadKind.Hybrid, Seed = 42 });
        var valTexts = valIdx.Select(i => train.Texts[i]).ToArray();
        var hybridVal = TorchThread.Shared.Run(() => trained.Head.PredictProbabilities(valIdx.Select(i => mini.Train[i]).ToArray(), trained.Head.LexicalRows(valTexts)), TorchPriority.Background);
        var hybridTest = TorchThread.Shared.Run(() => trained.Head.PredictProbabilities(mini.Test, trained.Head.LexicalRows(test.Texts)), TorchPriority.Background);
        TorchThread.Shared.Run(trained.Head.Dispose, TorchPriority.Background);
        var valGold = valIdx.Select(i => train.Labels[i]).ToArray();
        double hybridTestAccuracy = Metrics.Compute(test.Labels, hybridTest, AgNewsLabels.Names).Accuracy;
        report.Add(section, "validation / test accuracy", "hybrid alone", hybridTestAccuracy, "%",
            shown: $"val {Metrics.Compute(valGold, hybridVal, AgNewsLabels.Names).Accuracy * 100:F2} % / test {hybridTestAccuracy * 100:F2} %");
        foreach (var layerRate in options.TopLayerRates ?? [5e-5])
        {
            var (bestVal, bestTest) = TrainTopLayer(engine, frozen, layerRate, trainStates, testStates, train.Labels, trainIdx, valIdx, section);
            double topTemperature = Calibration.FitTemperature(bestVal, valGold, classes);
            var topVal = Calibration.Softmax(bestVal, classes, topTemperature);
            var topTest = Calibration.Softmax(bestTest, classes, topTemperature);
            var topTestReport = Metrics.Compute(test.Labels, topTest, AgNewsLabels.Names);
            report.Add(section, "validation / test accuracy", $"top layer alone, lr {layerRate}", topTestReport.Accuracy, "%",
                shown: $"val {Metrics.Compute(valGold, topVal, AgNewsLabels.Names).Accuracy * 100:F2} % / test {topTestReport.Accuracy * 100:F2} %");
            double bestWeight = 0, bestAccuracy = 0;
            for (double w = 0; w <= 1.0001; w += 0.1)
            {
                double accuracy = Metrics.Compute(valGold, Mix(hybridVal, topVal, w), AgNewsLabels.Names).Accuracy;
                report.Add(section, "mix on validation", $"lr {layerRate}, hybrid weight {w:F1}", accuracy, "%");
                if (accuracy > bestAccuracy) (bestAccuracy, bestWeight) = (accuracy, w);
            }
            var mixedTest = Metrics.Compute(test.Labels, Mix(hybridTest, topTest, bestWeight), AgNewsLabels.Names);
            report.Add(section, "validation / test accuracy", $"hybrid + top layer (lr {layerRate}), weight {bestWeight:F1}", mixedTest.Accuracy, "%",
                shown: $"val {bestAccuracy * 100:F2} % / test {mixedTest.Accuracy * 100:F2} %", note: $"macro-F1 {mixedTest.MacroF1 * 100:F2} %");
        }
        SectionTime(section, clock);
    }

    private (float[] Val, float[] Test) TrainTopLayer(LabelingEngine engine, int frozen, double layerRate, TokenStates trainStates, TokenStates testStates,
        int[] labels, int[] trainIdx, int[] valIdx, string section)
    {
        int epochs = options.TopLayerEpochs ?? 3;
        var torchThread = TorchThread.Shared;
        var (head, layerOptimizer, classifierOptimizer) = torchThread.Run(() =>
        {
            torch.random.manual_seed(42);
            var copies = Enumerable.Range(frozen, engine.Encoder.Model.Config.NumHiddenLayers - frozen).Select(engine.Encoder.Model.CopyOfLayer);
            var h = new TopLayerHead(copies, engine.Encoder.HiddenSize, AgNewsLabels.Names.Count);
            return (h, optim.AdamW(h.LayerParameters(), layerRate, weight_decay: 0.01), optim.AdamW(h.ClassifierParameters(), 1e-3, weight_decay: 0.01));
        }, TorchPriority.Background);
        var shuffle = new Random(42);
        var valGold = valIdx.Select(i => labels[i]).ToArray();
        float[]? bestVal = null, bestTest = null;
        double bestLoss = double.PositiveInfinity;
        const int batchSize = 32;
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            // Similar lengths share a batch (less padding): shuffle, then sort within windows of 50 batches.
            var order = trainIdx.OrderBy(_ => shuffle.Next()).Chunk(batchSize * 50)
                .SelectMany(w => w.OrderBy(r => trainStates.Lengths[r])).Chunk(batchSize).OrderBy(_ => shuffle.Next()).ToArray();
            double lossSum = 0;
            int done = 0;
            foreach (var rows in order)
            {
                lossSum += torchThread.Run(() =>
                {
                    using var scope = NewDisposeScope();
                    head.train();
                    var (x, mask) = trainStates.Batch(rows);
                    layerOptimizer.zero_grad();
                    classifierOptimizer.zero_grad();
                    var loss = F.cross_entropy(head.forward(x, mask), tensor(rows.Select(r => (long)labels[r]).ToArray()));
                    loss.backward();
                    layerOptimizer.step();
                    classifierOptimizer.step();
                    return loss.item<float>();
                }, TorchPriority.Background);
                if (++done % 200 == 0) Stage($"top layer epoch {epoch}: {done}/{order.Length} batches, mean loss {lossSum / done:F4}, {epochClock.Elapsed.TotalSeconds:F0} s");
            }
            var valLogits = AttentionHead.Logits(head, trainStates, valIdx);
            double valLoss = Calibration.LogLoss(valLogits, valGold, AgNewsLabels.Names.Count, 1);
            double valAccuracy = Metrics.Compute(valGold, Calibration.Softmax(valLogits, AgNewsLabels.Names.Count, 1), AgNewsLabels.Names).Accuracy;
            report.Add(section, "epoch", $"{epoch}, layer lr {layerRate}", valAccuracy, "%",
                shown: $"val {valAccuracy * 100:F2} %", note: $"val loss {valLoss:F4}, train loss {lossSum / done:F4}, {epochClock.Elapsed.TotalSeconds:F0} s");
            if (valLoss < bestLoss)
            {
                bestLoss = valLoss;
                bestVal = valLogits;
                bestTest = AttentionHead.Logits(head, testStates, Enumerable.Range(0, testStates.Count).ToArray());
            }
        }
        torchThread.Run(() => { head.Dispose(); layerOptimizer.Dispose(); classifierOptimizer.Dispose(); }, TorchPriority.Background);
        return (bestVal!, bestTest!);
    }

    /// <summary>Geometric mix of two probability sets, renormalised: weight on the first.</summary>
    private static float[][] Mix(float[][] a, float[][] b, double weight) => a.Select((row, r) =>
    {
        var mixed = row.Select((p, k) => Math.Exp(weight * Math.Log(Math.Max(p, 1e-12)) + (1 - weight) * Math.Log(Math.Max(b[r][k], 1e-12)))).ToArray();
        double sum = mixed.Sum();
        return mixed.Select(v => (float)(v / sum)).ToArray();
    }).ToArray();
}
