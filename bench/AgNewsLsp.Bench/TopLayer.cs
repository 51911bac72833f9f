using System.Diagnostics;
using AgNewsLsp.Data;
using AgNewsLsp.Evaluation;
using AgNewsLsp.Features;
using AgNewsLsp.Model;
using AgNewsLsp.Native;
using AgNewsLsp.Settings;
using AgNewsLsp.Training;

namespace AgNewsLsp.Bench;

public sealed partial class BenchRun
{
    // ---------------------------------------------------------------- 1f. hybrid+layers: trained top layers over frozen states
    /// <summary>
    /// The hybrid+layers kind as the engine trains it (<see cref="HeadTrainer"/>, the same validation rows as every
    /// head), with the learning rates and epochs of the command line; then the head's parts alone and mixed, on
    /// validation and test, all through the head's own prediction path.
    /// </summary>
    private async Task TopLayerAsync()
    {
        int layers = options.TopLayers ?? TrainingSettings.DefaultTopLayerCount;
        string section = $"1f hybrid+layers: trained top {layers} layer(s) (MiniLM)";
        var clock = Stopwatch.StartNew();
        var (train, test) = (TrainSplit, TestSplit);
        var engine = await FeatureEngineAsync(null);
        var shape = TopLayersShape.OnTopOf(engine.Encoder.Model.Config, layers);
        var names = AgNewsLabels.Names;
        var defaults = new HeadTrainingOptions();
        var (_, valIdx) = HeadTrainer.StratifiedSplit(train.Labels, names.Count, defaults.ValidationFraction, defaults.Seed);
        var valGold = valIdx.Select(i => train.Labels[i]).ToArray();

        Stage($"top layers: states after layer {shape.From} of {train.Texts.Length} train + {test.Texts.Length} test texts");
        var encodeClock = Stopwatch.StartNew();
        var trainStates = TokenStates.Encode(engine.Encoder, train.Texts, shape.From);
        var testStates = TokenStates.Encode(engine.Encoder, test.Texts, shape.From);
        encodeClock.Stop();
        report.Add(section, "token states (bf16-stored)", $"after layer {shape.From}, {train.Texts.Length + test.Texts.Length} texts",
            encodeClock.Elapsed.TotalSeconds, "s", note: $"{(trainStates.Bytes + testStates.Bytes) / (1024.0 * 1024):F0} MiB");

        var mini = await FeaturesAsync(null, Pooling.ClsLast4);
        var testLexical = LexicalRow.Featurize(defaults.Lexical, test.Texts);
        var valLexical = LexicalRow.Featurize(defaults.Lexical, valIdx.Select(i => train.Texts[i]).ToArray());
        var valFeatures = valIdx.Select(i => mini.Train[i]).ToArray();
        foreach (var rate in options.TopLayerRates ?? [defaults.TopLayerLearningRate])
        {
            var trainClock = Stopwatch.StartNew();
            var trained = HeadTrainer.Train(mini.Train, train.Texts, train.Labels, names,
                defaults with { Kind = HeadKind.HybridLayers, TopLayerLearningRate = rate, TopLayerEpochs = options.TopLayerEpochs ?? defaults.TopLayerEpochs },
                new AgNewsLsp.Progress.InlineProgress<AgNewsLsp.Progress.WorkProgress>(p => { if (p.Message is { } m && m.StartsWith("epoch")) Stage($"top layers: {m}"); }),
                top: new TopLayerInput(shape, trainStates, engine.Encoder.Model));
            trainClock.Stop();
            var head = trained.Head;
            foreach (var epoch in trained.History)
                report.Add(section, "epoch", $"{epoch.Epoch}, layer lr {rate}", epoch.ValidationAccuracy, "%",
                    shown: $"val {epoch.ValidationAccuracy * 100:F2} %", note: $"val loss {epoch.ValidationLoss:F4}, train loss {epoch.TrainLoss:F4}");
            var valTop = RowMajor.Rows(trainStates.Logits(head.Top!, valIdx), names.Count);
            var testTop = RowMajor.Rows(testStates.Logits(head.Top!, Enumerable.Range(0, test.Texts.Length).ToArray()), names.Count);
            float weight = TorchThread.Shared.Run(() => head.HybridWeight, TorchPriority.Background);
            // The parts alone are the head at a mixing weight of 1 (hybrid) and 0 (top layers).
            foreach (var (label, w) in new[] { ("hybrid alone", 1f), ("top layers alone", 0f), ($"hybrid + top layers, hybrid weight {weight:F1} (by validation)", weight) })
            {
                var (val, tst) = TorchThread.Shared.Run(() =>
                {
                    head.SetMix(head.TopTemperature, w);
                    return (head.PredictProbabilities(valFeatures, valLexical, valTop), head.PredictProbabilities(mini.Test, testLexical, testTop));
                }, TorchPriority.Background);
                var testReport = Metrics.Compute(test.Labels, tst, names);
                report.Add(section, "validation / test accuracy", $"{label}, layer lr {rate}", testReport.Accuracy, "%",
                    shown: $"val {Metrics.Compute(valGold, val, names).Accuracy * 100:F2} % / test {testReport.Accuracy * 100:F2} %",
                    note: $"macro-F1 {testReport.MacroF1 * 100:F2} %, log-loss {testReport.LogLoss:F3}, ECE {testReport.ExpectedCalibrationError:F3}");
            }
            report.Add(section, "training (states excluded)", $"layer lr {rate}", trainClock.Elapsed.TotalMinutes, "min");
            TorchThread.Shared.Run(head.Dispose, TorchPriority.Background);
        }
        SectionTime(section, clock);
    }
}
