using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace AgNewsLsp.Model;

// Modules mirror Hugging Face's modeling_bert.py: field names are the state-dict names, so a checkpoint's
// tensors map onto them without a renaming table ("encoder.layer.3.attention.self.query.weight").
#pragma warning disable IDE1006 // snake_case names mirror the checkpoint keys

/// <summary>Token, position and token-type embeddings, summed and normalised.</summary>
public sealed class BertEmbeddings : Module<Tensor, Tensor>
{
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;

    public BertEmbeddings(BertConfig config) : base(nameof(BertEmbeddings))
    {
        word_embeddings = Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        position_embeddings = Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        token_type_embeddings = Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        RegisterComponents();
    }

    /// <summary>input_ids [batch, seq] -> [batch, seq, hidden]; token types are all 0 (single-segment texts).</summary>
    public override Tensor forward(Tensor input_ids)
    {
        using var scope = NewDisposeScope();
        long length = input_ids.shape[1];
        var positions = arange(length, dtype: ScalarType.Int64, device: input_ids.device).unsqueeze(0);
        var tokenTypes = zeros_like(input_ids);
        var sum = word_embeddings.forward(input_ids) + position_embeddings.forward(positions) + token_type_embeddings.forward(tokenTypes);
        return LayerNorm.forward(sum).MoveToOuterDisposeScope();
    }
}

public sealed class BertSelfAttention : Module<Tensor, Tensor, Tensor>
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly int _heads;
    private readonly int _headSize;

    public BertSelfAttention(BertConfig config) : base(nameof(BertSelfAttention))
    {
        _heads = config.NumAttentionHeads;
        _headSize = config.HiddenSize / config.NumAttentionHeads;
        query = Linear(config.HiddenSize, config.HiddenSize);
        key = Linear(config.HiddenSize, config.HiddenSize);
        value = Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    /// <summary>hidden [b, s, h], attend [b, 1, 1, s] (true = a real token) -> context [b, s, h].</summary>
    public override Tensor forward(Tensor hidden, Tensor attend) => Forward(hidden, hidden, attend);

    /// <summary>
    /// The context of the rows <paramref name="queries"/> [b, q, h] (all of <paramref name="hidden"/>, or its first
    /// rows) attending over every row of <paramref name="hidden"/> [b, s, h] -> [b, q, h].
    /// </summary>
    public Tensor Forward(Tensor queries, Tensor hidden, Tensor attend)
    {
        using var scope = NewDisposeScope();
        long b = hidden.shape[0];
        Tensor Heads(Linear projection, Tensor rows) => projection.forward(rows).view(b, rows.shape[1], _heads, _headSize).transpose(1, 2);
        // Fused attention: one kernel for softmax(QK^T/sqrt(d) + mask)V, faster than the unfused path (README, Benchmarks).
        var context = F.scaled_dot_product_attention(Heads(query, queries), Heads(key, hidden), Heads(value, hidden), attend, 0.0, false);
        return context.transpose(1, 2).reshape(b, queries.shape[1], _heads * _headSize).MoveToOuterDisposeScope();
    }
}

/// <summary>Projection + residual + LayerNorm after attention (BertSelfOutput) or after the MLP (BertOutput).</summary>
public sealed class BertResidualOutput : Module<Tensor, Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;

    public BertResidualOutput(int inputSize, BertConfig config, string name) : base(name)
    {
        dense = Linear(inputSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor residual)
    {
        using var projected = dense.forward(hidden);
        using var sum = projected.add_(residual);
        return LayerNorm.forward(sum);
    }
}

public sealed class BertAttention : Module<Tensor, Tensor, Tensor>
{
    private readonly BertSelfAttention self;
    private readonly BertResidualOutput output;

    public BertAttention(BertConfig config) : base(nameof(BertAttention))
    {
        self = new BertSelfAttention(config);
        output = new BertResidualOutput(config.HiddenSize, config, "BertSelfOutput");
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor attend) => Forward(hidden, hidden, attend);

    /// <summary>
    /// Attention for the rows <paramref name="queries"/> of <paramref name="hidden"/> (see <see cref="BertSelfAttention.Forward"/>).
    /// </summary>
    public Tensor Forward(Tensor queries, Tensor hidden, Tensor attend)
    {
        using var context = self.Forward(queries, hidden, attend);
        return output.forward(context, queries);
    }
}

public sealed class BertIntermediate : Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly Func<Tensor, Tensor> _activation;

    public BertIntermediate(BertConfig config) : base(nameof(BertIntermediate))
    {
        dense = Linear(config.HiddenSize, config.IntermediateSize);
        _activation = HiddenActivations.Of(config.HiddenAct);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var projected = dense.forward(hidden);
        return _activation(projected);
    }
}

public sealed class BertLayer : Module<Tensor, Tensor, Tensor>
{
    private readonly BertAttention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertResidualOutput output;

    public BertLayer(BertConfig config) : base(nameof(BertLayer))
    {
        attention = new BertAttention(config);
        intermediate = new BertIntermediate(config);
        output = new BertResidualOutput(config.IntermediateSize, config, "BertOutput");
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor attend) => Forward(hidden, attend, null);

    /// <param name="yieldPoint">
    /// Called where other work may run: after the attention block and between the feed-forward block's two
    /// projections, which cuts a layer into three parts of about equal cost (4 of its 12 hidden-size-squared matmuls
    /// each), so work waiting for a yield point waits at most a third of a layer.
    /// </param>
    /// <param name="firstTokenOnly">
    /// Compute the output of the first row ([CLS]) only -> [b, 1, h]: the keys and values still come from every row,
    /// but the queries, the attention output and the feed-forward block (10 of the 12 units above) run on one row.
    /// For a last layer whose other rows nobody reads.
    /// </param>
    public Tensor Forward(Tensor hidden, Tensor attend, Action? yieldPoint, bool firstTokenOnly = false)
    {
        using var first = firstTokenOnly ? hidden.narrow(1, 0, 1) : null;
        using var attended = attention.Forward(first ?? hidden, hidden, attend);
        yieldPoint?.Invoke();
        using var expanded = intermediate.forward(attended);
        yieldPoint?.Invoke();
        return output.forward(expanded, attended);
    }
}

public sealed class BertEncoder : Module<Tensor, Tensor, Tensor>
{
    public readonly ModuleList<BertLayer> layer;

    public BertEncoder(BertConfig config) : base(nameof(BertEncoder))
    {
        layer = ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor attend) => Run(hidden, attend, _ => { });

    /// <summary>
    /// Runs the first <paramref name="layers"/> layers (null: every layer); <paramref name="onLayer"/> sees each layer's output
    /// (e.g. to keep its [CLS] row).
    /// </summary>
    /// <param name="yieldPoint">Called inside and between layers, where other work may run (see <see cref="BertLayer.Forward"/>).</param>
    /// <param name="lastFirstTokenOnly">The last layer run computes the [CLS] row only (<see cref="BertLayer.Forward"/>).</param>
    /// <returns>The last layer's output; <paramref name="hidden"/> itself when no layer runs.</returns>
    public Tensor Run(Tensor hidden, Tensor attend, Action<(int Index, Tensor Output)> onLayer, Action? yieldPoint = null,
        int? layers = null, bool lastFirstTokenOnly = false)
    {
        int count = layers ?? layer.Count;
        var current = hidden;
        for (int i = 0; i < count; i++)
        {
            Tensor next;
            // One dispose scope per layer: intermediates otherwise pile up until the batch ends.
            using (NewDisposeScope())
            {
                next = layer[i].Forward(current, attend, yieldPoint, lastFirstTokenOnly && i + 1 == count);
                onLayer((i, next));
                next.MoveToOuterDisposeScope();
            }
            if (!ReferenceEquals(current, hidden)) current.Dispose();
            current = next;
            if (i + 1 < count) yieldPoint?.Invoke();
        }
        return current;
    }
}

public sealed class BertPooler : Module<Tensor, Tensor>
{
    private readonly Linear dense;

    public BertPooler(BertConfig config) : base(nameof(BertPooler))
    {
        dense = Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    /// <summary>tanh(dense([CLS])).</summary>
    public override Tensor forward(Tensor lastHidden)
    {
        using var cls = lastHidden.select(1, 0);
        using var projected = dense.forward(cls);
        return projected.tanh();
    }
}

/// <summary>What one forward pass yields; the caller owns (and disposes) the tensors.</summary>
public sealed class BertModelOutput(Tensor lastHiddenState, Tensor poolerOutput, IReadOnlyList<Tensor> layerCls, Tensor? keptStates = null)
    : IDisposable
{
    /// <summary>
    /// [batch, seq, hidden]; [batch, 1, hidden] when the last layer computed [CLS] only (<see cref="BertModel.Forward"/>'s clsOnly).
    /// </summary>
    public Tensor LastHiddenState { get; } = lastHiddenState;
    /// <summary>[batch, hidden].</summary>
    public Tensor PoolerOutput { get; } = poolerOutput;
    /// <summary>[CLS] rows [batch, hidden] of the last layers, the last layer last.</summary>
    public IReadOnlyList<Tensor> LayerCls { get; } = layerCls;
    /// <summary>[batch, seq, hidden] after the layer count asked for (the input of trained top layers); null when none was.</summary>
    public Tensor? KeptStates { get; } = keptStates;

    public void Dispose()
    {
        KeptStates?.Dispose();
        LastHiddenState.Dispose();
        PoolerOutput.Dispose();
        foreach (var t in LayerCls) t.Dispose();
    }
}

/// <summary>Hugging Face's BertModel: embeddings, encoder.layer.N, pooler.</summary>
public sealed class BertModel : Module<Tensor, Tensor, Tensor>
{
    private readonly BertEmbeddings embeddings;
    private readonly BertEncoder encoder;
    private readonly BertPooler pooler;

    public BertConfig Config { get; }

    public BertModel(BertConfig config) : base(nameof(BertModel))
    {
        Config = config;
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        pooler = new BertPooler(config);
        RegisterComponents();
    }

    /// <summary>Every Linear weight column-major (<see cref="LinearWeights.UseColumnMajor"/>): faster single texts in fp32.</summary>
    public void UseColumnMajorLinearWeights() => LinearWeights.UseColumnMajor(this);

    /// <summary>The hidden states [b, s, h] after the first <paramref name="layers"/> encoder layers.</summary>
    /// <param name="yieldPoint">Called inside and between layers: points where other work may run.</param>
    public Tensor HiddenStates(Tensor input_ids, Tensor attention_mask, int layers, Action? yieldPoint = null)
    {
        Native.TorchThread.EnsureOnTorchThread();
        CheckLayerCount(layers, nameof(layers));
        using var attend = Attend(attention_mask);
        var embedded = embeddings.forward(input_ids);
        if (layers == 0) return embedded;
        using (embedded) return encoder.Run(embedded, attend, _ => { }, yieldPoint, layers);
    }

    /// <summary>attention_mask [b, s] as the [b, 1, 1, s] boolean mask attention takes (true = a real token).</summary>
    internal static Tensor Attend(Tensor attention_mask) =>
        attention_mask.to(ScalarType.Bool).view(attention_mask.shape[0], 1, 1, attention_mask.shape[1]);

    private void CheckLayerCount(int layers, string name)
    {
        if (layers < 0 || layers > Config.NumHiddenLayers)
            throw new ArgumentOutOfRangeException(name, layers, $"The model has {Config.NumHiddenLayers} layers.");
    }

    /// <summary>A trainable float32 copy of encoder layer <paramref name="index"/>: the same values, parameters of its own.</summary>
    public BertLayer CopyOfLayer(int index)
    {
        var copy = new BertLayer(Config);
        CopyLayerInto(index, copy);
        return copy;
    }

    /// <summary>Sets <paramref name="target"/>'s parameters (float32) to encoder layer <paramref name="index"/>'s values.</summary>
    public void CopyLayerInto(int index, BertLayer target)
    {
        using var noGrad = no_grad();
        var source = encoder.layer[index].named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, parameter) in target.named_parameters())
        {
            using var value = source[name].to(ScalarType.Float32);
            parameter.copy_(value);
        }
    }

    /// <summary>input_ids [b, s] (int64), attention_mask [b, s] (1 = token, 0 = padding) -> last_hidden_state.</summary>
    public override Tensor forward(Tensor input_ids, Tensor attention_mask)
    {
        using var output = Forward(input_ids, attention_mask, 0);
        return output.LastHiddenState.alias();
    }

    /// <summary>Full forward pass, keeping the [CLS] rows of the last <paramref name="clsLayers"/> layers.</summary>
    /// <param name="yieldPoint">Called inside and between layers: points where other work may run.</param>
    /// <param name="keepStatesAfter">Also keep the hidden states after this many layers (<see cref="BertModelOutput.KeptStates"/>).</param>
    /// <param name="clsOnly">
    /// Only [CLS] rows are read from the last layer (the pooler's, or [CLS] poolings): it computes that row alone, and
    /// <see cref="BertModelOutput.LastHiddenState"/> is [b, 1, h]. The same values, in less time (README, Benchmarks).
    /// </param>
    public BertModelOutput Forward(Tensor input_ids, Tensor attention_mask, int clsLayers, Action? yieldPoint = null,
        int? keepStatesAfter = null, bool clsOnly = false)
    {
        Native.TorchThread.EnsureOnTorchThread();
        if (keepStatesAfter is { } keepCount) CheckLayerCount(keepCount, nameof(keepStatesAfter));
        if (clsOnly && keepStatesAfter == Config.NumHiddenLayers)
            throw new ArgumentException("The states after the last layer cannot be kept when it computes [CLS] only.", nameof(clsOnly));
        using var attend = Attend(attention_mask);
        using var embedded = embeddings.forward(input_ids);
        var layerCls = new List<Tensor>();
        int firstKept = Config.NumHiddenLayers - clsLayers;
        Tensor? kept = keepStatesAfter == 0 ? embedded.alias() : null;
        var last = encoder.Run(embedded, attend, step =>
        {
            if (step.Index >= firstKept) layerCls.Add(step.Output.select(1, 0).clone().MoveToOuterDisposeScope());
            if (step.Index + 1 == keepStatesAfter) kept = step.Output.alias().MoveToOuterDisposeScope();
        }, yieldPoint, lastFirstTokenOnly: clsOnly);
        var pooled = pooler.forward(last);
        return new BertModelOutput(last, pooled, layerCls, kept);
    }
}
