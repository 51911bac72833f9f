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

// The linear and mlp kinds: AdamW on cross-entropy, early stopping on validation loss, the best epoch kept.
public static partial class HeadTrainer
{
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
        public (ClassifierHead Head, EvaluationReport Report, EvaluationReport Uncalibrated) Finish(int[] labels, int[] valIdx,
            IReadOnlyList<string> labelNames)
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
}
