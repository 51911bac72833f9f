using AgNewsLsp.Engine;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AgNewsLsp.Training;

/// <summary>
/// The trained part: standardise the frozen features, then a linear layer (default) or a small MLP,
/// producing logits. Softmax only at prediction time; the loss takes logits.
/// </summary>
public sealed class ClassifierHead : Module<Tensor, Tensor>
{
    public HeadKind Kind { get; }
    public int InputSize { get; }
    public int ClassCount { get; }
    public int HiddenSize { get; }

    // Feature standardisation learnt from the training split (buffers: saved, not trained).
    private readonly Tensor feature_mean;
    private readonly Tensor feature_std;
    private readonly Sequential layers;

    public ClassifierHead(HeadKind kind, int inputSize, int classCount, int hiddenSize = 256, double dropout = 0.1) : base(nameof(ClassifierHead))
    {
        Kind = kind;
        InputSize = inputSize;
        ClassCount = classCount;
        HiddenSize = kind == HeadKind.Mlp ? hiddenSize : 0;
        feature_mean = zeros(inputSize);
        feature_std = ones(inputSize);
        layers = kind == HeadKind.Linear
            ? Sequential(("0", Linear(inputSize, classCount)))
            : Sequential(("0", Linear(inputSize, hiddenSize)), ("1", GELU()), ("2", Dropout(dropout)), ("3", Linear(hiddenSize, classCount)));
        register_buffer(nameof(feature_mean), feature_mean);
        register_buffer(nameof(feature_std), feature_std);
        RegisterComponents();
    }

    public void SetStandardization(float[] mean, float[] std)
    {
        using var _ = no_grad();
        feature_mean.copy_(tensor(mean));
        feature_std.copy_(tensor(std));
    }

    public override Tensor forward(Tensor features)
    {
        using var standardized = (features - feature_mean) / feature_std;
        return layers.forward(standardized);
    }

    /// <summary>Class probabilities for each row of features.</summary>
    public float[][] PredictProbabilities(float[][] features)
    {
        if (features.Length == 0) return [];
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        eval();
        var input = tensor(features.SelectMany(f => f).ToArray(), [features.Length, InputSize]);
        var probabilities = functional.softmax(forward(input), 1).data<float>().ToArray();
        return Enumerable.Range(0, features.Length).Select(r => probabilities.AsSpan(r * ClassCount, ClassCount).ToArray()).ToArray();
    }
}
