using AgNewsLsp.Tests.Native;
using AgNewsLsp.Engine;
using AgNewsLsp.Features;
using AgNewsLsp.Training;
using static TorchSharp.torch;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Tests.Training;

public class HybridHeadTests
{
    private static readonly string[] Labels = ["World", "Sports", "Business", "Sci/Tech"];

    /// <summary>Texts whose class shows in their words only; the "encoder features" are noise.</summary>
    private static (float[][] Features, string[] Texts, int[] Labels) Toy(int n, int seed)
    {
        var random = new Random(seed);
        string[][] vocab = [["minister", "election", "troops"], ["goal", "match", "coach"], ["shares", "profit", "bank"],
            ["software", "chip", "internet"]];
        var features = new float[n][];
        var texts = new string[n];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % 4;
            texts[i] = $"the {vocab[labels[i]][random.Next(3)]} said on {random.Next(1000)} and then {vocab[labels[i]][random.Next(3)]}";
            features[i] = Enumerable.Range(0, 8).Select(_ => (float)random.NextDouble()).ToArray();
        }
        return (features, texts, labels);
    }

    [Fact]
    public void A_hybrid_head_learns_from_words_that_the_encoder_features_lack_and_round_trips_through_its_file()
    {
        OnTorchThread.Run(() =>
        {
            var (features, texts, labels) = Toy(400, 1);
            var options = new HeadTrainingOptions { Kind = HeadKind.Hybrid, MaxPasses = 30, Lexical = new LexicalFeaturizer { Bits = 14 } };
            var result = HeadTrainer.Train(features, texts, labels, Labels, options);
            using var head = result.Head;
            Assert.True(result.Validation.Accuracy > 0.95, $"validation accuracy {result.Validation.Accuracy}");
            Assert.InRange(head.Temperature, 0.05f, 20f);
            // The linear kind sees only the noise.
            var linear = HeadTrainer.Train(features, null, labels, Labels, options with { Kind = HeadKind.Linear });
            linear.Head.Dispose();
            Assert.True(linear.Validation.Accuracy < 0.6, $"linear validation accuracy {linear.Validation.Accuracy}");

            using var folder = new TempFolder();
            var path = Path.Combine(folder.Path, "h.head.json");
            HeadFile.FromHead(head, new HeadFile { LabelNames = Labels, ModelFingerprint = "f" }).Save(path);
            var file = HeadFile.Load(path);
            Assert.Equal(HeadKind.Hybrid, file.Kind);
            Assert.Equal(14, file.Lexical!.Bits);
            Assert.NotNull(file.Tensors["lexical.weight"].Packed); // large tensors are stored in base64
            Assert.NotNull(file.Tensors["layers.0.bias"].Data);
            using var loaded = file.CreateHead();
            var (testFeatures, testTexts, _) = Toy(20, 2);
            var before = head.PredictProbabilities(testFeatures, testTexts);
            var after = loaded.PredictProbabilities(testFeatures, testTexts);
            for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i]);
        });
    }

    [Fact]
    public void Lexical_weights_are_trained_only_where_the_training_texts_have_n_grams()
    {
        var (features, texts, labels) = Toy(200, 3);
        var options = new HeadTrainingOptions { Kind = HeadKind.Hybrid, MaxPasses = 3, Lexical = new LexicalFeaturizer { Bits = 16 } };
        using var head = HeadTrainer.Train(features, texts, labels, Labels, options).Head;
        var used = new HashSet<int>(LexicalRow.Featurize(options.Lexical, texts).SelectMany(r => r.Words.Indexes.Concat(r.Chars.Indexes)));
        var weight = head.LexicalWeight!.data<float>().ToArray();
        for (int bucket = 0; bucket < options.Lexical.Buckets; bucket++)
        {
            bool nonZero = weight.AsSpan(bucket * 4, 4).ToArray().Any(v => v != 0);
            if (!used.Contains(bucket)) Assert.False(nonZero, $"bucket {bucket} holds no n-gram of the data but was changed");
        }
    }

    [Fact]
    public void The_solver_reaches_the_optimum_of_a_separable_problem_and_stops_when_converged()
    {
        // Two points per class on either side of x = 0 in the dense part; the sparse part is empty.
        var empty = new SparseRow([], []);
        var bag = LexicalBag.Build(Enumerable.Range(0, 4).Select(_ => new LexicalRow(empty, empty)).ToArray(), new float[8]);
        var rows = SvmRows.From([[2f], [1f], [-1f], [-2f]], bag, 8);
        int[] labels = [0, 0, 1, 1];
        int passes = 0;
        var weights = LinearSvmSolver.Solve(rows, labels, 2, c: 100, maxPasses: 1000, tolerance: 1e-6, seed: 1,
            (pass, _) => { passes = pass; return true; });
        Assert.True(passes < 1000, "converged before the pass limit");
        // Hard-margin optimum of y(wx + b) >= 1 with the bias regularised too: w = 1, b = 0.
        Assert.Equal(1, weights[0].Dense[0], 2);
        Assert.Equal(0, weights[0].Bias, 2);
        Assert.Equal(-1, weights[1].Dense[0], 2);
        Assert.All(new[] { 0, 1, 2, 3 }, r => Assert.Equal(labels[r] == 0, weights[0].Score(rows, r) > 0));
    }
}
