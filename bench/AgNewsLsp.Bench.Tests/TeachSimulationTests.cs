using System.Xml.Linq;
using AgNewsLsp.Bench;
using AgNewsLsp.Engine;
using AgNewsLsp.Evaluation;
using AgNewsLsp.Progress;
using AgNewsLsp.Settings;
using AgNewsLsp.Teaching;

namespace AgNewsLsp.Bench.Tests;

/// <summary>The offline replay the teach section chooses its constants with gives what Teacher and TaughtEngine give.</summary>
public class TeachSimulationTests
{
    private static readonly string[] Labels = ["World", "Sports", "Business", "Sci/Tech"];

    /// <summary>An engine that answers from a table: each text's head prediction and sentence vector.</summary>
    private sealed class TableEngine(Dictionary<string, (Prediction Prediction, float[] Vector)> table) : ILabelingEngine
    {
        public EngineStatus GetStatus() => new("table", "", "table.head.json", Pooling.Mean, "cpu", Precision.Fp32, 128, "", 0, false, null) { LabelNames = Labels };

        public IReadOnlyList<Prediction> Classify(IReadOnlyList<string> texts, CancellationToken cancellationToken = default) =>
            texts.Select(t => table[t].Prediction).ToArray();

        public (IReadOnlyList<Prediction> Predictions, IReadOnlyList<float[]> Vectors) ClassifyWithSentenceVectors(IReadOnlyList<string> texts,
            CancellationToken cancellationToken = default) => (Classify(texts), texts.Select(t => table[t].Vector).ToArray());

        public Task<TrainResult> TrainAsync(TrainRequest request, IProgress<WorkProgress>? progress, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<EvaluationReport> EvaluateAsync(EvaluateRequest request, IProgress<WorkProgress>? progress, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Embeddings Embed(IReadOnlyList<string> texts, Pooling? pooling = null, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }

    /// <summary>
    /// Texts in four topics (sentence vectors near one of four directions, with noise) and a weak head: right on 70% of
    /// them, with a spread of confidences.
    /// </summary>
    private static (string[] Texts, int[] Gold, Dictionary<string, (Prediction Prediction, float[] Vector)> Table) World(int count, int seed, string prefix)
    {
        var random = new Random(seed);
        var texts = new string[count];
        var gold = new int[count];
        var table = new Dictionary<string, (Prediction Prediction, float[] Vector)>();
        for (int i = 0; i < count; i++)
        {
            texts[i] = $"{prefix} {i}";
            gold[i] = random.Next(4);
            var vector = Enumerable.Range(0, 12).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            vector[gold[i]] += 1.2f;
            int said = random.NextDouble() < 0.7 ? gold[i] : random.Next(4);
            var p = Enumerable.Range(0, 4).Select(_ => 0.05f + (float)random.NextDouble() * 0.2f).ToArray();
            p[said] += 0.3f + (float)random.NextDouble();
            float sum = p.Sum();
            p = p.Select(x => x / sum).ToArray();
            int best = Metrics.ArgMax(p);
            table[texts[i]] = (new Prediction(Labels[best], best, p, Labels, false, 10), vector);
        }
        return (texts, gold, table);
    }

    private static TeachSimulation.TextSet Set(string[] texts, int[] gold, Dictionary<string, (Prediction Prediction, float[] Vector)> table) =>
        new(texts.Select(t => table[t].Prediction.Probabilities).ToArray(), texts.Select(t => table[t].Vector).ToArray(), gold);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Suggestions_and_labels_replayed_offline_match_the_products(bool layer)
    {
        var (pool, poolGold, poolTable) = World(300, 1, "pool");
        var (eval, evalGold, evalTable) = World(120, 2, "eval");
        var table = poolTable.Concat(evalTable).ToDictionary();
        var blend = new BlendSettings(0.6f, 0.9f, 0.9f, 4, 0.05f);
        var layerSettings = layer ? new LayerSettings(1f, 0.01f, 0.3f) : new LayerSettings(0f, 0.01f, 0f);
        var simulation = new TeachSimulation(Labels, [], Set(pool, poolGold, table), Set(eval, evalGold, table),
            backgroundFromPool: Enumerable.Range(0, pool.Length).ToArray());

        var taught = new TaughtEngine(new TableEngine(table), blend, layerSettings);
        var file = Path.Combine(Path.GetTempPath(), $"teach-simulation-test-{Guid.NewGuid():N}.jsonl");
        try
        {
            taught.ClassifyWithSentenceVectors(pool); // the pool is the layer's background
            var order = new List<int>();
            for (int batch = 0; batch < 4; batch++)
                foreach (var s in taught.Teacher.Suggest(pool, 10))
                {
                    taught.Teacher.Teach(file, new Correction(pool[s.Index], Labels[poolGold[s.Index]], null, DateTimeOffset.UtcNow));
                    order.Add(s.Index);
                }
            var replayed = simulation.SuggestionOrder(40, 10, blend, layerSettings);
            var (predicted, _) = simulation.Predict(order, blend, layerSettings);
            var (heads, vectors) = new TableEngine(table).ClassifyWithSentenceVectors(eval);
            var product = eval.Select((t, i) => ClassNamesIndex(taught.Teacher.Memory.Apply(heads[i], t, vectors[i]).Label)).ToArray();
            if (!layer)
            {
                Assert.Equal(order, replayed);
                Assert.Equal(product, predicted);
            }
            else
            {
                // The product refits after every correction, the replay once per batch: the same convex problem solved to a
                // tolerance, so a text on a knife's edge may differ.
                Assert.True(order.Intersect(replayed).Count() >= 36, $"{order.Intersect(replayed).Count()} of 40 suggestions in common");
                Assert.True(product.Zip(predicted).Count(p => p.First == p.Second) >= 118, "labels differ");
                Assert.True(taught.Teacher.Memory.LayerSteps > 0);
            }
            // The corrections taught something: better than the head alone.
            int headRight = eval.Select((_, i) => heads[i].LabelIndex == evalGold[i]).Count(r => r);
            Assert.True(predicted.Zip(evalGold).Count(p => p.First == p.Second) > headRight);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static int ClassNamesIndex(string label) => Array.IndexOf(Labels, label);

    [Fact]
    public void A_new_class_gets_a_column_once_taught_and_the_background_keeps_the_rest()
    {
        var (pool, poolGold, poolTable) = World(300, 3, "pool");
        var (eval, evalGold, evalTable) = World(200, 4, "eval");
        var table = poolTable.Concat(evalTable).ToDictionary();
        // A head without Sci/Tech: its three classes; Sci/Tech texts are the new class (index 3).
        string[] three = ["World", "Sports", "Business"];
        TeachSimulation.TextSet Three(string[] texts, int[] gold) =>
            new(texts.Select(t => table[t].Prediction.Probabilities[..3]).ToArray(), texts.Select(t => table[t].Vector).ToArray(), gold);
        var examples = Enumerable.Range(0, pool.Length).Where(i => poolGold[i] == 3).Take(30).ToArray();
        var background = Enumerable.Range(0, pool.Length).Where(i => poolGold[i] != 3 || !examples.Contains(i)).ToArray();
        var simulation = new TeachSimulation(three, ["Sci/Tech"], Three(pool, poolGold), Three(eval, evalGold), backgroundFromPool: background);
        var off = new BlendSettings(0.5f, 0.8f, 0f, 1, 0.05f);
        var steps = simulation.Curve(examples, [0, 30], off, new LayerSettings(1f, 0.01f, 0.3f));
        Assert.DoesNotContain(3, steps[0]);
        double recall = simulation.Accuracy(steps[1], g => g == 3);
        Assert.True(recall > 0.5, $"recall {recall}");
        Assert.True(steps[1].Count(p => p == 3) < eval.Length / 2, "the new class took most texts");
    }

    [Fact]
    public void The_curve_plot_takes_an_x_label_a_baseline_and_a_unit_for_its_points()
    {
        var svg = Plot.LearningCurveSvg("teach", [("suggested", [(25.0, 0.80), (400.0, 0.85)])], xLabel: "corrections (log scale)",
            baseline: ("no correction", 0.75), pointUnit: "corrections");
        var doc = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var texts = doc.Descendants(ns + "text").Select(t => t.Value).ToArray();
        Assert.Contains("corrections (log scale)", texts);
        Assert.Contains("no correction: 75.00%", texts);
        Assert.Contains(doc.Descendants(ns + "title"), t => t.Value == "suggested: 400 corrections, 85.00%");
        Assert.Contains(doc.Descendants(ns + "line"), l => l.Attribute("stroke-dasharray") is not null);
        Assert.Contains("74%", texts); // the y axis reaches down to the baseline (74.5 rounded down, in steps of 2)
    }
}
