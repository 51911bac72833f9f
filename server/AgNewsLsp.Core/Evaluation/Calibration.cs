namespace AgNewsLsp.Evaluation;

/// <summary>
/// Temperature scaling (Guo et al., 2017): one scalar T divides every logit so that the softmax's confidence
/// matches how often the arg-max is right, fitted by minimising log-loss on held-out rows. The arg-max, and so
/// accuracy, never changes.
/// </summary>
public static class Calibration
{
    /// <summary>Bins of <see cref="ExpectedCalibrationError"/>: equal-width on the top-class confidence.</summary>
    public const int EceBins = 15;

    /// <summary>Row-wise softmax of logits[rows * classes] divided by the temperature.</summary>
    public static float[][] Softmax(float[] logits, int classes, double temperature)
    {
        int n = logits.Length / classes;
        var result = new float[n][];
        for (int r = 0; r < n; r++)
        {
            var p = new float[classes];
            double max = double.NegativeInfinity;
            for (int c = 0; c < classes; c++) max = Math.Max(max, logits[r * classes + c] / temperature);
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += Math.Exp(logits[r * classes + c] / temperature - max);
            for (int c = 0; c < classes; c++) p[c] = (float)(Math.Exp(logits[r * classes + c] / temperature - max) / sum);
            result[r] = p;
        }
        return result;
    }

    /// <summary>Mean negative log-likelihood of the gold classes at a temperature.</summary>
    public static double LogLoss(float[] logits, IReadOnlyList<int> gold, int classes, double temperature)
    {
        double total = 0;
        for (int r = 0; r < gold.Count; r++)
        {
            double max = double.NegativeInfinity;
            for (int c = 0; c < classes; c++) max = Math.Max(max, logits[r * classes + c] / temperature);
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += Math.Exp(logits[r * classes + c] / temperature - max);
            total += max + Math.Log(sum) - logits[r * classes + gold[r]] / temperature;
        }
        return total / Math.Max(gold.Count, 1);
    }

    /// <summary>
    /// The one calibration step every trainer ends with: the validation report of the raw softmax, a temperature fitted
    /// on the validation logits, and the report with it (same accuracy; log-loss and ECE change).
    /// </summary>
    public static (double Temperature, EvaluationReport Calibrated, EvaluationReport Uncalibrated) Calibrate(
        float[] logits, int[] gold, IReadOnlyList<string> labelNames)
    {
        var uncalibrated = Metrics.Compute(gold, Softmax(logits, labelNames.Count, 1), labelNames);
        var temperature = FitTemperature(logits, gold, labelNames.Count);
        return (temperature, Metrics.Compute(gold, Softmax(logits, labelNames.Count, temperature), labelNames), uncalibrated);
    }

    /// <summary>
    /// Whether an epoch's validation loss is a new best: lower by more than a rounding step, so that an epoch that only
    /// matches the best (a flat loss) counts toward early stopping instead of replacing it. One rule for every trainer.
    /// </summary>
    public static bool Improves(double loss, double best) => loss < best - 1e-5;

    /// <summary>
    /// The temperature in [0.05, 20] with the lowest log-loss: golden-section search on ln T (the loss is
    /// unimodal in T for fixed logits). 1 when there are no rows.
    /// </summary>
    public static double FitTemperature(float[] logits, IReadOnlyList<int> gold, int classes)
    {
        if (gold.Count == 0) return 1;
        double lo = Math.Log(0.05), hi = Math.Log(20);
        double ratio = (Math.Sqrt(5) - 1) / 2;
        double a = hi - ratio * (hi - lo), b = lo + ratio * (hi - lo);
        double fa = LogLoss(logits, gold, classes, Math.Exp(a)), fb = LogLoss(logits, gold, classes, Math.Exp(b));
        for (int i = 0; i < 60 && hi - lo > 1e-4; i++)
        {
            if (fa < fb) { hi = b; b = a; fb = fa; a = hi - ratio * (hi - lo); fa = LogLoss(logits, gold, classes, Math.Exp(a)); }
            else { lo = a; a = b; fa = fb; b = lo + ratio * (hi - lo); fb = LogLoss(logits, gold, classes, Math.Exp(b)); }
        }
        return Math.Exp((lo + hi) / 2);
    }

    /// <summary>
    /// Expected calibration error: rows binned by their top-class probability into <see cref="EceBins"/> equal
    /// bins; the row-weighted mean of |accuracy - mean confidence| over the bins. 0 is perfectly calibrated.
    /// </summary>
    public static double ExpectedCalibrationError(IReadOnlyList<int> gold, IReadOnlyList<float[]> probabilities)
    {
        if (gold.Count == 0) return 0;
        var count = new int[EceBins];
        var correct = new int[EceBins];
        var confidence = new double[EceBins];
        for (int r = 0; r < gold.Count; r++)
        {
            var p = probabilities[r];
            int best = Metrics.ArgMax(p);
            double top = float.IsNaN(p[best]) ? 0 : Math.Clamp(p[best], 0, 1);
            int bin = Math.Min((int)(top * EceBins), EceBins - 1);
            count[bin]++;
            confidence[bin] += top;
            if (best == gold[r]) correct[bin]++;
        }
        double ece = 0;
        for (int b = 0; b < EceBins; b++)
            if (count[b] > 0)
                ece += Math.Abs((double)correct[b] / count[b] - confidence[b] / count[b]) * count[b] / gold.Count;
        return ece;
    }
}
