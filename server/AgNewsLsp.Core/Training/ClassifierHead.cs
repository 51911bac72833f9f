using AgNewsLsp.Model;
using AgNewsLsp.Features;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Training;

/// <summary>
/// The trained part, producing logits. Every kind standardises the frozen encoder features first; then
/// <list type="bullet">
/// <item>linear: one linear layer;</item>
/// <item>mlp: linear, GELU, dropout, linear;</item>
/// <item>hybrid: a linear layer over the encoder features joined with the text's hashed word and character
/// n-grams (tf-idf, each part L2-normalised): an EmbeddingBag with one weight row per bucket adds the
/// lexical logits, so a row costs its non-zero n-grams, not the size of the hashed space.</item>
/// <item>hybrid+layers: a hybrid part as above, and <see cref="TopLayers"/>: trained copies of the encoder's top layers
/// over the frozen states below them (the encoder computes their logits in its forward pass). Each part's logits are
/// divided by its own temperature; the two log-probabilities are then mixed, <see cref="HybridWeight"/> on the hybrid's.</item>
/// </list>
/// Logits are divided by a temperature fitted on the validation rows (1 until fitted), so the probabilities
/// are calibrated; the arg-max, and so the label, does not depend on it. Softmax only at prediction time.
/// </summary>
public sealed class ClassifierHead : Module
{
    public HeadKind Kind { get; }
    public int InputSize { get; }
    public int ClassCount { get; }
    public int HiddenSize { get; }

    /// <summary>The n-gram features a hybrid head reads; null for the kinds without n-grams.</summary>
    public LexicalFeaturizer? Lexical { get; }

    /// <summary>The trained top layers of a hybrid+layers head; null for the other kinds.</summary>
    public TopLayers? Top => top;

    // Feature standardisation learnt from the training split, the lexical idf and the temperature: buffers, saved, not trained.
    private readonly Tensor feature_mean;
    private readonly Tensor feature_std;
    private readonly Tensor temperature;
    private readonly Tensor? lexical_idf;
    private readonly Sequential layers;
    private readonly EmbeddingBag? lexical;
    private readonly TopLayers? top;
    private readonly Tensor? top_temperature;
    private readonly Tensor? hybrid_weight;
    private float[]? _idf; // managed copy: the lexical weights of a row are computed on the CPU before the bag

    /// <param name="topLayers">
    /// A hybrid+layers head's trained layers (required for that kind only); the head owns them from here.
    /// </param>
    public ClassifierHead(HeadKind kind, int inputSize, int classCount, int hiddenSize = 256, double dropout = 0.1,
        LexicalFeaturizer? lexicalFeatures = null, TopLayers? topLayers = null)
        : base(nameof(ClassifierHead))
    {
        if ((kind == HeadKind.HybridLayers) != (topLayers is not null))
            throw new ArgumentException($"A {kind.Name()} head {(topLayers is null ? "needs" : "has no")} top layers.");
        Kind = kind;
        InputSize = inputSize;
        ClassCount = classCount;
        HiddenSize = kind == HeadKind.Mlp ? hiddenSize : 0;
        feature_mean = zeros(inputSize);
        feature_std = ones(inputSize);
        temperature = ones(1);
        layers = kind == HeadKind.Mlp
            ? Sequential(("0", Linear(inputSize, hiddenSize)), ("1", GELU()), ("2", Dropout(dropout)),
                ("3", Linear(hiddenSize, classCount)))
            : Sequential(("0", Linear(inputSize, classCount)));
        register_buffer(nameof(feature_mean), feature_mean);
        register_buffer(nameof(feature_std), feature_std);
        register_buffer(nameof(temperature), temperature);
        if (kind.HasNGrams())
        {
            Lexical = lexicalFeatures ?? new LexicalFeaturizer();
            lexical = EmbeddingBag(Lexical.Buckets, classCount, mode: EmbeddingBagMode.Sum);
            using (no_grad()) lexical.weight!.zero_(); // an n-gram says nothing until training sees it
            lexical_idf = ones(Lexical.Buckets);
            register_buffer(nameof(lexical_idf), lexical_idf);
        }
        if (topLayers is not null)
        {
            top = topLayers;
            top_temperature = ones(1);
            hybrid_weight = full(1, 0.5f);
            register_buffer(nameof(top_temperature), top_temperature);
            register_buffer(nameof(hybrid_weight), hybrid_weight);
        }
        RegisterComponents();
    }

    public void SetStandardization(float[] mean, float[] std)
    {
        using var _ = no_grad();
        feature_mean.copy_(tensor(mean));
        feature_std.copy_(tensor(std));
    }

    /// <summary>The temperature of the logits (of the hybrid part, in a hybrid+layers head).</summary>
    public float Temperature => temperature.item<float>();

    /// <summary>A hybrid+layers head's temperature of its top layers' logits.</summary>
    public float TopTemperature => top_temperature?.item<float>() ?? 1;

    /// <summary>A hybrid+layers head's weight on its hybrid part's log-probabilities (the top layers' take the rest).</summary>
    public float HybridWeight => hybrid_weight?.item<float>() ?? 1;

    /// <summary>
    /// Ready to answer, not to train: eval mode, and the top layers in the encoder's precision
    /// (<see cref="TopLayers.PrepareForServing"/>).
    /// </summary>
    public void PrepareForServing(Precision encoderPrecision)
    {
        eval();
        top?.PrepareForServing(encoderPrecision);
    }

    /// <summary>Sets a hybrid+layers head's top-layer temperature and mixing weight, both fitted on the validation rows.</summary>
    public void SetMix(double topTemperature, double hybridWeight)
    {
        if (top is null) throw new InvalidOperationException($"A {Kind.Name()} head has no top layers.");
        if (!(hybridWeight >= 0 && hybridWeight <= 1)) throw new ArgumentOutOfRangeException(nameof(hybridWeight));
        using var _ = no_grad();
        top_temperature!.fill_(topTemperature);
        hybrid_weight!.fill_(hybridWeight);
    }

    public void SetTemperature(double value)
    {
        using var _ = no_grad();
        temperature.fill_(value);
    }

    /// <summary>Inverse document frequencies per bucket (hybrid heads), learnt from the training split.</summary>
    public void SetIdf(float[] idf)
    {
        if (lexical_idf is null) throw new InvalidOperationException($"A {Kind} head has no lexical features.");
        using var _ = no_grad();
        lexical_idf.copy_(tensor(idf));
        _idf = idf;
    }

    private float[] Idf => _idf ??= lexical_idf!.data<float>().ToArray();

    /// <summary>A hybrid head's [buckets, classes] n-gram weights; null for the other kinds.</summary>
    public Parameter? LexicalWeight => lexical?.weight;

    /// <summary>
    /// Sets a linear or hybrid head's weights from a solver: the linear layer's [classes, inputs] weight and bias,
    /// and a hybrid head's [buckets, classes] n-gram weights.
    /// </summary>
    public void SetLinearWeights(float[] weight, float[] bias, float[]? lexicalWeights)
    {
        if (Kind == HeadKind.Mlp) throw new InvalidOperationException("An MLP head has no single linear layer.");
        if ((lexical is null) != (lexicalWeights is null))
            throw new ArgumentException($"A {Kind} head {(lexical is null ? "has no" : "needs its")} n-gram weights.");
        using var _ = no_grad();
        var layer = (TorchSharp.Modules.Linear)layers[0];
        layer.weight!.copy_(tensor(weight, [ClassCount, InputSize]));
        layer.bias!.copy_(tensor(bias));
        if (lexical is not null) lexical.weight!.copy_(tensor(lexicalWeights!, [Lexical!.Buckets, ClassCount]));
    }

    /// <summary>Logits before the temperature. Lexical rows are needed by hybrid heads only.</summary>
    public Tensor Logits(Tensor features, IReadOnlyList<LexicalRow>? lexicalRows = null)
    {
        using var scope = NewDisposeScope();
        var logits = layers.forward((features - feature_mean) / feature_std);
        if (lexical is not null)
        {
            if (lexicalRows is null || lexicalRows.Count != features.shape[0])
                throw new ArgumentException("A hybrid head needs the lexical features of every row.");
            var bag = LexicalBag.Build(lexicalRows, Idf);
            logits = logits + lexical.forward(tensor(bag.Indexes), tensor(bag.Offsets), tensor(bag.Weights));
        }
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>Calibrated logits: divided by the fitted temperature.</summary>
    public Tensor CalibratedLogits(Tensor features, IReadOnlyList<LexicalRow>? lexicalRows = null)
    {
        using var logits = Logits(features, lexicalRows);
        return logits / temperature;
    }

    /// <summary>A hybrid head's n-gram rows for texts (empty for the other kinds).</summary>
    public IReadOnlyList<LexicalRow>? LexicalRows(IReadOnlyList<string> texts) =>
        Lexical is null ? null : LexicalRow.Featurize(Lexical, texts);

    /// <summary>Class probabilities for each row: softmax of the calibrated logits. Texts are needed by hybrid heads only.</summary>
    public float[][] PredictProbabilities(float[][] features, IReadOnlyList<string>? texts = null)
    {
        if (features.Length == 0) return [];
        var lexicalRows = Lexical is null ? null
            : LexicalRows(texts ?? throw new ArgumentException("A hybrid head needs the texts as well as their encoder features."));
        return PredictProbabilities(features, lexicalRows);
    }

    /// <param name="topLogits">
    /// A hybrid+layers head's top-layer logits of each row, as <see cref="Top"/> computed them in the encoder's pass.
    /// </param>
    public float[][] PredictProbabilities(float[][] features, IReadOnlyList<LexicalRow>? lexicalRows, float[][]? topLogits = null)
    {
        if (features.Length == 0) return [];
        Native.TorchThread.EnsureOnTorchThread();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        eval();
        var input = tensor(features.SelectMany(f => f).ToArray(), [features.Length, InputSize]);
        var logProbabilities = functional.log_softmax(CalibratedLogits(input, lexicalRows), 1);
        if (top is not null)
        {
            if (topLogits is null || topLogits.Length != features.Length)
                throw new ArgumentException("A hybrid+layers head needs the top layers' logits of every row.");
            var topLog = functional.log_softmax(
                tensor(topLogits.SelectMany(l => l).ToArray(), [features.Length, ClassCount]) / top_temperature!, 1);
            logProbabilities = logProbabilities * hybrid_weight! + topLog * (1 - hybrid_weight!);
        }
        var probabilities = functional.softmax(logProbabilities, 1).data<float>().ToArray();
        return RowMajor.Rows(probabilities, ClassCount);
    }
}

/// <summary>
/// EmbeddingBag input for rows of n-grams: every row's buckets one after another, where each row starts, and
/// tf-idf weights L2-normalised per part, each part to norm 1/sqrt(2): together a unit vector, neither part
/// dominating. A batch whose rows are all empty holds one entry: bucket 0 with weight 0, which adds nothing.
/// </summary>
public sealed record LexicalBag(long[] Indexes, long[] Offsets, float[] Weights)
{
    public static LexicalBag Build(IReadOnlyList<LexicalRow> rows, float[] idf)
    {
        int total = 0;
        foreach (var r in rows) total += r.Words.Count + r.Chars.Count;
        var indexes = new long[Math.Max(total, 1)];
        var weights = new float[Math.Max(total, 1)];
        var offsets = new long[rows.Count];
        int at = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            offsets[i] = at;
            at = Weigh(rows[i].Words, idf, indexes, weights, at);
            at = Weigh(rows[i].Chars, idf, indexes, weights, at);
        }
        return new LexicalBag(indexes, offsets, weights);
    }

    private static int Weigh(SparseRow part, float[] idf, long[] indexes, float[] weights, int at)
    {
        double norm = 0;
        for (int k = 0; k < part.Count; k++)
        {
            double v = part.Values[k] * idf[part.Indexes[k]];
            norm += v * v;
        }
        float scale = norm > 0 ? (float)(1 / Math.Sqrt(2 * norm)) : 0;
        for (int k = 0; k < part.Count; k++)
        {
            indexes[at] = part.Indexes[k];
            weights[at] = part.Values[k] * idf[part.Indexes[k]] * scale;
            at++;
        }
        return at;
    }
}

/// <summary>The hashed n-grams of one text, word part and character part.</summary>
public sealed record LexicalRow(SparseRow Words, SparseRow Chars)
{
    public static LexicalRow[] Featurize(LexicalFeaturizer featurizer, IReadOnlyList<string> texts)
    {
        var rows = new LexicalRow[texts.Count];
        if (texts.Count < 64)
            for (int i = 0; i < texts.Count; i++) rows[i] = One(featurizer, texts[i]);
        else
            Parallel.For(0, texts.Count, i => rows[i] = One(featurizer, texts[i]));
        return rows;
    }

    private static LexicalRow One(LexicalFeaturizer featurizer, string text)
    {
        var (words, chars) = featurizer.Featurize(text);
        return new LexicalRow(words, chars);
    }
}
