using AgNewsLsp.Evaluation;

namespace AgNewsLsp.Tests.Evaluation;

public class MetricsTests
{
    private static readonly string[] TwoLabels = ["neg", "pos"];

    [Fact]
    public void Two_class_example_matches_hand_computation()
    {
        // gold:      0    0    0    1    1
        // predicted: 0    1    0    1    0   (arg-max of the rows below)
        int[] gold = [0, 0, 0, 1, 1];
        float[][] probs = [[0.9f, 0.1f], [0.4f, 0.6f], [0.7f, 0.3f], [0.2f, 0.8f], [0.6f, 0.4f]];
        var r = Metrics.Compute(gold, probs, TwoLabels);

        // Confusion [gold][pred]: gold 0 -> pred 0 twice, pred 1 once; gold 1 -> pred 0 once, pred 1 once.
        Assert.Equal([[2, 1], [1, 1]], r.ConfusionMatrix);
        Assert.Equal(5, r.Count);
        Assert.Equal(3.0 / 5, r.Accuracy, 12);

        // Class 0: tp 2, predicted 3, support 3 -> P 2/3, R 2/3, F1 2/3.
        double p0 = 2.0 / 3, r0 = 2.0 / 3, f0 = 2 * p0 * r0 / (p0 + r0);
        // Class 1: tp 1, predicted 2, support 2 -> P 1/2, R 1/2, F1 1/2.
        double p1 = 0.5, r1 = 0.5, f1 = 0.5;
        Assert.Equal(p0, r.PerClass[0].Precision, 12);
        Assert.Equal(r0, r.PerClass[0].Recall, 12);
        Assert.Equal(f0, r.PerClass[0].F1, 12);
        Assert.Equal(3, r.PerClass[0].Support);
        Assert.Equal(p1, r.PerClass[1].Precision, 12);
        Assert.Equal(r1, r.PerClass[1].Recall, 12);
        Assert.Equal(f1, r.PerClass[1].F1, 12);
        Assert.Equal(2, r.PerClass[1].Support);
        Assert.Equal((f0 + f1) / 2, r.MacroF1, 12);
        Assert.Equal(["neg", "pos"], r.PerClass.Select(c => c.Label));

        double expectedLogLoss = -(Math.Log(0.9f) + Math.Log(0.4f) + Math.Log(0.7f) + Math.Log(0.8f) + Math.Log(0.4f)) / 5;
        Assert.Equal(expectedLogLoss, r.LogLoss, 6);
    }

    [Fact]
    public void Asymmetric_precision_and_recall()
    {
        // Everything predicted as class 1: class 1 has P = 2/4, R = 1; class 0 is never predicted -> P = 0 (not NaN), R = 0.
        int[] gold = [0, 0, 1, 1];
        float[][] probs = [[0.3f, 0.7f], [0.1f, 0.9f], [0.2f, 0.8f], [0.4f, 0.6f]];
        var r = Metrics.Compute(gold, probs, TwoLabels);
        Assert.Equal(0.0, r.PerClass[0].Precision);
        Assert.Equal(0.0, r.PerClass[0].Recall);
        Assert.Equal(0.0, r.PerClass[0].F1);
        Assert.Equal(0.5, r.PerClass[1].Precision, 12);
        Assert.Equal(1.0, r.PerClass[1].Recall, 12);
        Assert.Equal(2 * 0.5 * 1.0 / 1.5, r.PerClass[1].F1, 12);
        Assert.Equal((0 + 2 * 0.5 / 1.5) / 2, r.MacroF1, 12);
        Assert.Equal(0.5, r.Accuracy, 12);
        Assert.DoesNotContain(r.PerClass, c => double.IsNaN(c.Precision) || double.IsNaN(c.Recall) || double.IsNaN(c.F1));
    }

    [Fact]
    public void A_class_absent_from_gold_and_predictions_scores_zero()
    {
        int[] gold = [0, 1];
        float[][] probs = [[0.8f, 0.1f, 0.1f], [0.1f, 0.8f, 0.1f]];
        var r = Metrics.Compute(gold, probs, ["a", "b", "c"]);
        Assert.Equal(1.0, r.Accuracy);
        Assert.Equal(new ClassMetrics("c", 0, 0, 0, 0), r.PerClass[2]);
        Assert.Equal((1 + 1 + 0) / 3.0, r.MacroF1, 12);
    }

    [Fact]
    public void Log_loss_clips_zero_probabilities_at_1e_minus_7()
    {
        int[] gold = [0, 1];
        float[][] probs = [[0f, 1f], [0f, 1f]];
        var r = Metrics.Compute(gold, probs, TwoLabels);
        double expected = (-Math.Log(1e-7) - Math.Log(1 - 1e-7)) / 2;
        Assert.Equal(expected, r.LogLoss, 9);
        Assert.True(double.IsFinite(r.LogLoss));
    }

    [Fact]
    public void Ties_go_to_the_first_class()
    {
        var r = Metrics.Compute([1], [[0.5f, 0.5f]], TwoLabels);
        Assert.Equal([[0, 0], [1, 0]], r.ConfusionMatrix);
        Assert.Equal(0, Metrics.ArgMax([0.2f, 0.2f, 0.1f]));
        Assert.Equal(2, Metrics.ArgMax([0.2f, 0.3f, 0.5f]));
    }

    [Fact]
    public void Rejects_inconsistent_input()
    {
        Assert.Throws<ArgumentException>(() => Metrics.Compute([0, 1], [[1f, 0f]], TwoLabels));
        Assert.Throws<ArgumentException>(() => Metrics.Compute([0], [[1f, 0f, 0f]], TwoLabels));
        Assert.Throws<ArgumentOutOfRangeException>(() => Metrics.Compute([2], [[1f, 0f]], TwoLabels));
        Assert.Throws<ArgumentException>(() => Metrics.Compute([], [], TwoLabels));
    }

    [Fact]
    public void Properties_hold_on_random_data()
    {
        var random = new Random(42);
        for (int trial = 0; trial < 50; trial++)
        {
            int k = random.Next(2, 6), n = random.Next(1, 200);
            var names = Enumerable.Range(0, k).Select(i => "c" + i).ToArray();
            var gold = new int[n];
            var probs = new float[n][];
            for (int i = 0; i < n; i++)
            {
                gold[i] = random.Next(k);
                var row = Enumerable.Range(0, k).Select(_ => (float)random.NextDouble()).ToArray();
                float sum = row.Sum();
                probs[i] = row.Select(v => v / sum).ToArray();
            }
            var r = Metrics.Compute(gold, probs, names);
            int trace = Enumerable.Range(0, k).Sum(i => r.ConfusionMatrix[i][i]);
            int total = r.ConfusionMatrix.Sum(row => row.Sum());
            Assert.Equal(n, total);
            Assert.Equal((double)trace / total, r.Accuracy, 12);
            // Row sums are the supports; column sums are how often each class is predicted.
            for (int c = 0; c < k; c++)
            {
                Assert.Equal(gold.Count(g => g == c), r.ConfusionMatrix[c].Sum());
                Assert.Equal(r.PerClass[c].Support, r.ConfusionMatrix[c].Sum());
                int predicted = probs.Count(p => Metrics.ArgMax(p) == c);
                Assert.Equal(predicted, r.ConfusionMatrix.Sum(row => row[c]));
                Assert.InRange(r.PerClass[c].F1, 0, 1);
            }
            Assert.Equal(r.PerClass.Average(c => c.F1), r.MacroF1, 12);
            double logLoss = -Enumerable.Range(0, n).Average(i => Math.Log(Math.Max(probs[i][gold[i]], 1e-7)));
            Assert.Equal(logLoss, r.LogLoss, 6);
            // Micro-averaged recall (support-weighted) equals accuracy.
            Assert.Equal(r.Accuracy, r.PerClass.Sum(c => c.Recall * c.Support) / n, 9);
        }
    }
}
