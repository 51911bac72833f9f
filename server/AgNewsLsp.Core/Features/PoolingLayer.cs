using AgNewsLsp.Model;
using AgNewsLsp.Settings;
using static TorchSharp.torch;

namespace AgNewsLsp.Features;

/// <summary>Computes a <see cref="Pooling"/> from one forward pass: its width and its features.</summary>
public static class PoolingLayer
{
    public static int Dimension(Pooling pooling, BertConfig config) => pooling switch
    {
        Pooling.ClsLast2 or Pooling.MeanCls => 2 * config.HiddenSize,
        Pooling.ClsLast4 => 4 * config.HiddenSize,
        _ => config.HiddenSize,
    };

    /// <summary>How many layers' [CLS] rows the poolings need from the forward pass.</summary>
    public static int ClsLayersNeeded(IEnumerable<Pooling> poolings) =>
        poolings.Select(p => p switch { Pooling.ClsLast2 => 2, Pooling.ClsLast4 => 4, _ => 0 }).DefaultIfEmpty(0).Max();

    /// <summary>
    /// Whether the poolings read the last layer's [CLS] row only, not its other tokens (<see cref="BertModel.Forward"/>'s clsOnly).
    /// </summary>
    public static bool ClsOnly(IEnumerable<Pooling> poolings) =>
        poolings.All(p => p is Pooling.Cls or Pooling.Pooler or Pooling.ClsLast2 or Pooling.ClsLast4);

    /// <summary>[batch, dim] float32 features; mask is [batch, seq] with 1 for real tokens.</summary>
    public static Tensor Apply(Pooling pooling, BertModelOutput output, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var last = output.LastHiddenState;
        if (pooling is Pooling.Mean or Pooling.MeanCls && last.shape[1] != mask.shape[1])
            throw new ArgumentException(
                $"{pooling.Name()} pooling needs every token of the last layer; this pass computed [CLS] only.", nameof(output));
        Tensor result = pooling switch
        {
            Pooling.Cls => last.select(1, 0),
            Pooling.Pooler => output.PoolerOutput,
            Pooling.Mean => MaskedMean(last, mask),
            Pooling.ClsLast2 => cat(output.LayerCls.TakeLast(2).ToArray(), 1),
            Pooling.ClsLast4 => cat(output.LayerCls.TakeLast(4).ToArray(), 1),
            Pooling.MeanCls => cat([MaskedMean(last, mask), last.select(1, 0)], 1),
            _ => throw new ArgumentOutOfRangeException(nameof(pooling), pooling, null),
        };
        return result.to(ScalarType.Float32).contiguous().MoveToOuterDisposeScope();
    }

    private static Tensor MaskedMean(Tensor hidden, Tensor mask)
    {
        var weights = mask.to(hidden.dtype).unsqueeze(-1);
        return (hidden * weights).sum(1) / weights.sum(1).clamp_min(1);
    }
}
