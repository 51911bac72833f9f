namespace AgNewsLsp.Evaluation;

/// <summary>Classification metrics from gold labels and predicted class probabilities.</summary>
public static class Metrics
{
    /// <summary>Probabilities are clipped to [Epsilon, 1 - Epsilon] before the log in log-loss (as scikit-learn does).</summary>
    public const double Epsilon = 1e-7;

    /// <summary>
    /// Accuracy, per-class precision/recall/F1 with support, macro-F1, confusion matrix [gold][predicted] and
    /// mean log-loss, expected calibration error. The prediction is the arg-max of each probability row (the first class on ties).
    /// A class that is never predicted (or never gold) gets 0 where its ratio would divide by zero.
    /// </summary>
    public static EvaluationReport Compute(IReadOnlyList<int> gold, IReadOnlyList<float[]> probabilities, IReadOnlyList<string> labelNames)
    {
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(labelNames);
        int k = labelNames.Count;
        if (k == 0) throw new ArgumentException("There must be at least one label.", nameof(labelNames));
        if (gold.Count != probabilities.Count)
            throw new ArgumentException($"{gold.Count} gold labels but {probabilities.Count} probability rows.", nameof(probabilities));
        if (gold.Count == 0) throw new ArgumentException("Nothing to evaluate: no rows.", nameof(gold));

        var confusion = new int[k][];
        for (int i = 0; i < k; i++) confusion[i] = new int[k];
        double logLossSum = 0;
        for (int r = 0; r < gold.Count; r++)
        {
            var p = probabilities[r] ?? throw new ArgumentException($"Probability row {r} is null.", nameof(probabilities));
            if (p.Length != k)
                throw new ArgumentException($"Probability row {r} has {p.Length} values for {k} labels.", nameof(probabilities));
            int g = gold[r];
            if (g < 0 || g >= k) throw new ArgumentOutOfRangeException(nameof(gold), g, $"Gold label at row {r} is outside 0..{k - 1}.");
            int predicted = ArgMax(p);
            confusion[g][predicted]++;
            double pg = Math.Clamp((double)p[g], Epsilon, 1 - Epsilon);
            if (double.IsNaN(p[g])) pg = Epsilon;
            logLossSum -= Math.Log(pg);
        }

        int n = gold.Count;
        int correct = 0;
        for (int i = 0; i < k; i++) correct += confusion[i][i];

        var perClass = new ClassMetrics[k];
        for (int c = 0; c < k; c++)
        {
            int tp = confusion[c][c];
            int support = 0, predictedCount = 0;
            for (int j = 0; j < k; j++)
            {
                support += confusion[c][j];
                predictedCount += confusion[j][c];
            }
            double precision = predictedCount == 0 ? 0 : (double)tp / predictedCount;
            double recall = support == 0 ? 0 : (double)tp / support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass[c] = new ClassMetrics(labelNames[c], precision, recall, f1, support);
        }

        return new EvaluationReport(
            Count: n,
            Accuracy: (double)correct / n,
            MacroF1: perClass.Average(m => m.F1),
            LogLoss: logLossSum / n,
            ExpectedCalibrationError: Calibration.ExpectedCalibrationError(gold, probabilities),
            LabelNames: labelNames.ToArray(),
            PerClass: perClass,
            ConfusionMatrix: confusion);
    }

    /// <summary>Index of the largest value; the first one on ties; NaN never wins.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        if (values.Length == 0) throw new ArgumentException("No values.", nameof(values));
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best] || float.IsNaN(values[best])) best = i;
        return best;
    }
}
