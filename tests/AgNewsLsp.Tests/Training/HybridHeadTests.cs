using AgNewsLsp.Engine;
using AgNewsLsp.Features;
using AgNewsLsp.Training;
using static TorchSharp.torch;

namespace AgNewsLsp.Tests.Training;

public class HybridHeadTests
{
    private static readonly string[] Labels = ["World", "Sports", "Business", "Sci/Tech"];

    /// <summary>Texts whose class shows in their words only; the "encoder features" are noise.</summary>
    private static (float[][] Features, string[] Texts, int[] Labels) Toy(int n, int seed)
    {
        var random = new Random(seed);
        string[][] vocab = [["minister", "election", "troops"], ["goal", "match", "coach"], ["shares", "profit", "bank"], ["software", "chip", "internet"]];
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
        var (features, texts, labels) = Toy(400, 1);
        var options = new HeadTrainingOptions { Kind = HeadKind.Hybrid, MaxEpochs = 30, Lexical = new LexicalFeaturizer { Bits = 14 } };
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
        Assert.NotNull(file.Tensors["lexical.weight"].Base64); // large tensors are stored in base64
        Assert.NotNull(file.Tensors["layers.0.bias"].Data);
        using var loaded = file.CreateHead();
        var (testFeatures, testTexts, _) = Toy(20, 2);
        var before = head.PredictProbabilities(testFeatures, testTexts);
        var after = loaded.PredictProbabilities(testFeatures, testTexts);
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i]);
    }

    [Fact]
    public void Lexical_weights_are_trained_only_where_the_training_texts_have_n_grams()
    {
        var (features, texts, labels) = Toy(200, 3);
        var options = new HeadTrainingOptions { Kind = HeadKind.Hybrid, MaxEpochs = 3, Lexical = new LexicalFeaturizer { Bits = 16 } };
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
    public void Row_sparse_AdamW_matches_AdamW_on_the_rows_it_updates()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var start = randn(6, 4);
        var rows = tensor(new long[] { 1, 4 });
        var gradient = randn(2, 4);
        var reference = new TorchSharp.Modules.Parameter(start.clone());
        reference.grad = zeros(6, 4).index_copy(0, rows, gradient);
        using var adamW = optim.AdamW([reference], 0.01, weight_decay: 0.1);
        var lazy = start.clone();
        using var sparse = new RowSparseAdamW(lazy, 0.01, 0.1);
        for (int step = 0; step < 3; step++)
        {
            adamW.step();
            sparse.Step(rows, gradient);
        }
        Assert.True(allclose(reference.detach().index_select(0, rows), lazy.index_select(0, rows), rtol: 1e-5, atol: 1e-6));
        // Rows no batch held keep their values: the dense optimizer would have decayed them.
        var untouched = tensor(new long[] { 0, 2, 3, 5 });
        Assert.True(equal(start.index_select(0, untouched), lazy.index_select(0, untouched)).all().item<bool>());
        Assert.False(equal(start.index_select(0, untouched), reference.detach().index_select(0, untouched)).all().item<bool>());
    }
}
