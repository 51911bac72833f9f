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

// The hybrid kind: one-vs-rest linear SVMs over standardised encoder features and idf-weighted hashed n-grams.
public static partial class HeadTrainer
{
    /// <summary>
    /// The hybrid kind: n-grams counted (in parallel) and weighted with idf from the training rows; every row becomes
    /// [standardised encoder features x scale, tf-idf n-grams (a unit vector), 1]; one-vs-rest linear SVMs solved by
    /// dual coordinate descent, a pass at a time (the history's epochs), until converged. The weights then fill a
    /// hybrid <see cref="ClassifierHead"/>, whose logits are the SVM scores, and a temperature turns them into
    /// calibrated probabilities.
    /// </summary>
    private static HybridSolution SolveHybrid(float[][] features, IReadOnlyList<string> texts, int[] labels,
        IReadOnlyList<string> labelNames, HeadTrainingOptions options, int[] trainIdx, int[] valIdx, IProgress<WorkProgress>? progress,
        CancellationToken cancellationToken)
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
        var weights = LinearSvmSolver.Solve(train, trainGold, classes, options.HybridC, options.MaxPasses, options.HybridTolerance,
            options.Seed,
            (pass, w) =>
            {
                var (trainLoss, trainAcc) = ScoreSvm(w, trainSample, sampleGold, cancellationToken);
                var (valLoss, valAcc) = ScoreSvm(w, validation, valGold, cancellationToken);
                history.Add(new EpochStats(pass, trainLoss, trainAcc, valLoss, valAcc));
                progress?.Report(new WorkProgress("training", pass, options.MaxPasses,
                    $"pass {pass}: loss {trainLoss:F4}, validation loss {valLoss:F4}, accuracy {valAcc:P2}") { IsSummary = true });
                return true;
            }, cancellationToken);

        var valLogits = Logits(weights, validation, cancellationToken);
        var (temperature, report, uncalibrated) = Calibration.Calibrate(valLogits, valGold, labelNames);
        return new HybridSolution(dim, mean, std, idf, scale, weights, temperature, report, uncalibrated, history);
    }

    /// <summary>A solved hybrid problem: what fills the hybrid part of a head, and how it scored on the validation rows.</summary>
    private sealed record HybridSolution(int Dim, float[] Mean, float[] Std, float[] Idf, float Scale, SvmWeights[] Weights,
        double Temperature, EvaluationReport Report, EvaluationReport Uncalibrated, IReadOnlyList<EpochStats> History)
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
    private static (double Loss, double Accuracy) ScoreSvm(SvmWeights[] weights, SvmRows rows, int[] gold,
        CancellationToken cancellationToken)
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
}
