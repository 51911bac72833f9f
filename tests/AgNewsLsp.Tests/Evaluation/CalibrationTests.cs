using AgNewsLsp.Evaluation;

namespace AgNewsLsp.Tests.Evaluation;

public class CalibrationTests
{
    [Fact]
    public void Fitted_temperature_recovers_the_one_that_made_the_labels()
    {
        // Labels drawn from softmax(z / 2.5): the log-loss minimum is near T = 2.5 whatever the logits.
        var random = new Random(3);
        const int n = 20000, k = 4;
        var logits = new float[n * k];
        var gold = new int[n];
        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c < k; c++) logits[r * k + c] = (float)(random.NextDouble() * 12 - 6);
            var p = Calibration.Softmax(logits.AsSpan(r * k, k).ToArray(), k, 2.5)[0];
            double u = random.NextDouble(), acc = 0;
            gold[r] = k - 1;
            for (int c = 0; c < k; c++) if ((acc += p[c]) >= u) { gold[r] = c; break; }
        }
        Assert.Equal(2.5, Calibration.FitTemperature(logits, gold, k), 1);
        Assert.True(Calibration.LogLoss(logits, gold, k, 2.5) < Calibration.LogLoss(logits, gold, k, 1));
        Assert.Equal(1, Calibration.FitTemperature([], [], k));
    }

    [Fact]
    public void Temperature_never_changes_the_arg_max()
    {
        float[] logits = [2, 1, 0.5f, -1, 0, 3, 1, 2];
        foreach (var t in new[] { 0.1, 1, 7 })
        {
            var p = Calibration.Softmax(logits, 4, t);
            Assert.Equal(0, Metrics.ArgMax(p[0]));
            Assert.Equal(1, Metrics.ArgMax(p[1]));
            Assert.Equal(1.0, p[0].Sum(), 5);
        }
    }

    [Fact]
    public void Expected_calibration_error_by_hand()
    {
        // Two rows at confidence 0.9 (bin 13), one right: |0.5 - 0.9| * 2/4; two at 0.6 (bin 9), both right: |1 - 0.6| * 2/4.
        float[][] p = [[0.9f, 0.1f], [0.9f, 0.1f], [0.4f, 0.6f], [0.4f, 0.6f]];
        int[] gold = [0, 1, 1, 1];
        Assert.Equal(0.4, Calibration.ExpectedCalibrationError(gold, p), 6);
        Assert.Equal(0.4, Metrics.Compute(gold, p, ["a", "b"]).ExpectedCalibrationError, 6);
        // Confident and always right is perfectly calibrated.
        Assert.Equal(0, Calibration.ExpectedCalibrationError([0, 1], [[1f, 0f], [0f, 1f]]), 6);
    }

    [Fact]
    public void An_epoch_is_a_new_best_only_when_its_loss_is_lower_by_more_than_a_rounding_step()
    {
        Assert.True(Calibration.Improves(0.5, double.PositiveInfinity));
        Assert.True(Calibration.Improves(0.49, 0.5));
        Assert.False(Calibration.Improves(0.5, 0.5));
        Assert.False(Calibration.Improves(0.5 - 5e-6, 0.5)); // a flat loss counts toward stopping early
    }

    [Fact]
    public void Calibrating_keeps_the_accuracy_and_lowers_the_log_loss_of_overconfident_logits()
    {
        var gold = new[] { 0, 1, 0, 1, 0, 1, 0, 1 };
        // right three times in four, always very sure
        var logits = gold.SelectMany((g, i) => i % 4 == 3
            ? new[] { g == 0 ? -8f : 8f, g == 0 ? 8f : -8f }
            : new[] { g == 0 ? 8f : -8f, g == 0 ? -8f : 8f }).ToArray();
        var (temperature, calibrated, uncalibrated) = Calibration.Calibrate(logits, gold, ["a", "b"]);
        Assert.True(temperature > 1);
        Assert.Equal(uncalibrated.Accuracy, calibrated.Accuracy);
        Assert.True(calibrated.LogLoss < uncalibrated.LogLoss);
    }
}
