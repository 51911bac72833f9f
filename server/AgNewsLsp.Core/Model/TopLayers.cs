using System.Text.Json.Serialization;
using AgNewsLsp.Settings;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AgNewsLsp.Model;

/// <summary>
/// Where trained top layers sit on the frozen encoder and what shape they have: they read the states after the first
/// <see cref="From"/> frozen layers and hold <see cref="Count"/> layers of <see cref="Config"/>'s shape (the encoder's).
/// </summary>
public sealed record TopLayersShape
{
    /// <summary>The frozen layers below the trained ones: the trained layers read the states after this many.</summary>
    [JsonPropertyName("from")] public int From { get; init; }
    [JsonPropertyName("count")] public int Count { get; init; }
    [JsonPropertyName("config")] public BertConfig Config { get; init; } = new();

    /// <summary>The trained copies of the encoder's last <paramref name="count"/> layers.</summary>
    public static TopLayersShape OnTopOf(BertConfig config, int count) =>
        count >= 1 && count <= config.NumHiddenLayers
            ? new TopLayersShape { From = config.NumHiddenLayers - count, Count = count, Config = config }
            : throw new ArgumentException($"topLayers must be between 1 and the encoder's {config.NumHiddenLayers} layers, not {count}.");

    /// <summary>
    /// Weights a module of this shape holds for <paramref name="classes"/> classes: checked before any is allocated.
    /// In double, so that sizes read from a hostile file cannot overflow into a small number.
    /// </summary>
    public double ParameterCount(int classes)
    {
        double h = Config.HiddenSize, i = Config.IntermediateSize;
        double layer = 4 * (h * h + h) + 2 * h + (h * i + i) + (i * h + h) + 2 * h;
        return Count * layer + (2 * h + 1) * classes;
    }

    /// <summary>
    /// Throws <see cref="InvalidDataException"/> unless the shape is one at all: a valid layer config, at least one layer, none below 0.
    /// </summary>
    public void Validate(string source)
    {
        Config.Validate(source);
        if (Count < 1 || From < 0)
            throw new InvalidDataException(
                $"{source}: top layers need at least one layer from layer 0 up, not {Count} after layer {From}.");
    }

    /// <summary>Throws <see cref="InvalidDataException"/> unless this shape fits the encoder <paramref name="encoder"/>.</summary>
    public void EnsureFits(BertConfig encoder, string source)
    {
        Validate(source);
        if (From + Count != encoder.NumHiddenLayers)
            throw new InvalidDataException(
                $"{source}: its top layers ({Count} after layer {From}) do not end at the encoder's layer {encoder.NumHiddenLayers}.");
        if (Config.HiddenSize != encoder.HiddenSize || Config.IntermediateSize != encoder.IntermediateSize ||
            Config.NumAttentionHeads != encoder.NumAttentionHeads || Config.HiddenAct != encoder.HiddenAct ||
            Config.LayerNormEps != encoder.LayerNormEps)
            throw new InvalidDataException($"{source}: its top layers have another shape than the encoder's layers.");
    }
}

/// <summary>
/// Trained copies of the encoder's top layers, run on the frozen states below them; then the [CLS] row and the mean of
/// the real tokens, joined, into a linear classifier. The frozen encoder is unchanged: a head of the hybrid+layers
/// kind holds these beside its hybrid part (README, Accuracy).
/// </summary>
public sealed class TopLayers : Module<Tensor, Tensor, Tensor>
{
    private readonly ModuleList<BertLayer> layers;
    private readonly Dropout dropout;
    private readonly Linear classifier;

    public TopLayersShape Shape { get; }

    /// <summary>
    /// The dtype the layers compute in and read their states in: float32 as trained, bf16 once served on a bf16 encoder
    /// (<see cref="PrepareForServing"/>).
    /// </summary>
    public ScalarType StateType { get; private set; } = ScalarType.Float32;

    public TopLayers(TopLayersShape shape, int classes, double dropoutRate = 0.1) : base(nameof(TopLayers))
    {
        Shape = shape;
        layers = ModuleList(Enumerable.Range(0, shape.Count).Select(_ => new BertLayer(shape.Config)).ToArray());
        dropout = Dropout(dropoutRate);
        classifier = Linear(2 * shape.Config.HiddenSize, classes);
        RegisterComponents();
    }

    /// <summary>Starts from the frozen layers' own weights (float32 copies), as fine-tuning does.</summary>
    public void CopyFrom(BertModel encoder)
    {
        for (int k = 0; k < Shape.Count; k++) encoder.CopyLayerInto(Shape.From + k, layers[k]);
    }

    /// <summary>
    /// Ready to answer, not to train: eval mode, and the layers in the encoder's <paramref name="precision"/>, laid out as
    /// its layers are: bf16 on oneDNN's kernels, or float32 with column-major Linear weights. Either makes a hover's
    /// layers faster than training's float32 layout (README, Benchmarks). The states they read are bf16-rounded in
    /// both cases (<c>TokenStates.RoundLikeStored</c>), so bf16 layers read exactly what float32 ones would.
    /// </summary>
    public void PrepareForServing(Precision precision)
    {
        eval();
        if (precision == Precision.Bf16)
        {
            foreach (var layer in layers) layer.to(ScalarType.BFloat16);
            StateType = ScalarType.BFloat16;
        }
        else LinearWeights.UseColumnMajor(this);
    }

    public IEnumerable<Parameter> LayerParameters() => layers.parameters();
    public IEnumerable<Parameter> ClassifierParameters() => classifier.parameters();

    /// <summary>Logits [rows, classes] from float32 states [rows, width, hidden] and mask [rows, width] (true on tokens).</summary>
    public override Tensor forward(Tensor states, Tensor mask) => Forward(states, mask, null);

    /// <param name="yieldPoint">Called inside and between the layers, where other work may run (<see cref="BertLayer.Forward"/>).</param>
    public Tensor Forward(Tensor states, Tensor mask, Action? yieldPoint)
    {
        Native.TorchThread.EnsureOnTorchThread();
        using var scope = NewDisposeScope();
        var attend = BertModel.Attend(mask);
        var x = states.to(StateType); // no conversion when the caller hands them over in StateType, as the encoder does
        foreach (var layer in layers)
        {
            x = layer.Forward(x, attend, yieldPoint);
            yieldPoint?.Invoke();
        }
        x = x.to(ScalarType.Float32); // the pooling and the classifier stay float32 in every precision
        var cls = x.select(1, 0);
        var weights = mask.unsqueeze(-1).to(ScalarType.Float32);
        var mean = (x * weights).sum(1) / weights.sum(1);
        return classifier.forward(dropout.forward(cat([cls, mean], 1))).MoveToOuterDisposeScope();
    }
}
