using AgNewsLsp.Native;
using AgNewsLsp.Progress;
using static TorchSharp.torch;

namespace AgNewsLsp.Features;

/// <summary>
/// The frozen encoder's token vectors of many texts after a given number of layers, each text's real tokens only (no
/// padding), stored as bfloat16 bit patterns: half the memory of float32, and lossless when the encoder runs in bf16.
/// What trained top layers (<see cref="Model.TopLayers"/>) learn from; at prediction time the same rounding is
/// applied to the states they read (<see cref="RoundLikeStored"/>), so training and serving see the same numbers.
/// </summary>
public sealed class TokenStates
{
    public required ushort[][] States { get; init; }
    public required int[] Lengths { get; init; }
    public required int Hidden { get; init; }
    public long Bytes => States.Sum(s => (long)s.Length * sizeof(ushort));
    public int Count => Lengths.Length;

    /// <summary>
    /// The states of <paramref name="texts"/> after the first <paramref name="layers"/> encoder layers (null: the last
    /// layer's output), tokenised as the encoder does (up to <paramref name="maxTokens"/>, else the encoder's own
    /// limit). Batches run as background items on the torch thread; with a layer count they yield inside and between
    /// layers, so hovers go in between.
    /// </summary>
    public static TokenStates Encode(TextEncoder encoder, IReadOnlyList<string> texts, int? layers = null,
        IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default, int? maxTokens = null)
    {
        var encoded = encoder.Tokenizer.EncodeBatch(texts, maxTokens ?? encoder.MaxTokens);
        int hidden = encoder.HiddenSize;
        var states = new ushort[texts.Count][];
        int done = 0;
        progress?.Report(new WorkProgress("states", 0, texts.Count));
        foreach (var batch in encoder.Batches(encoded))
        {
            cancellationToken.ThrowIfCancellationRequested();
            TorchThread.Shared.Run(() =>
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var (ids, mask, w) = encoder.Tokenizer.Pad(batch.Select(i => encoded[i]).ToArray());
                var idTensor = tensor(ids, [batch.Length, w]);
                var maskTensor = tensor(mask, [batch.Length, w]);
                var layerStates = layers is { } count
                    ? encoder.Model.HiddenStates(idTensor, maskTensor, count, TorchThread.Shared.YieldToInteractive)
                    : encoder.Model.forward(idTensor, maskTensor);
                var rows = StoredRows(layerStates, batch.Select(i => encoded[i].Length).ToArray());
                for (int r = 0; r < batch.Length; r++) states[batch[r]] = rows[r];
            }, TorchPriority.Background, cancellationToken);
            done += batch.Length;
            progress?.Report(new WorkProgress("states", done, texts.Count));
        }
        return new TokenStates { States = states, Lengths = encoded.Select(e => e.Length).ToArray(), Hidden = hidden };
    }

    /// <summary>
    /// Each row of a padded [rows, width, hidden] batch of states as it is stored: its real tokens only
    /// (<paramref name="lengths"/>), rounded to bfloat16. The one conversion for every pass that keeps states.
    /// </summary>
    internal static ushort[][] StoredRows(Tensor layerStates, IReadOnlyList<int> lengths)
    {
        int width = (int)layerStates.shape[1], hidden = (int)layerStates.shape[2];
        using var asFloat = layerStates.to(ScalarType.Float32).contiguous();
        var flat = asFloat.data<float>().ToArray();
        var rows = new ushort[lengths.Count][];
        for (int r = 0; r < lengths.Count; r++)
        {
            var row = new ushort[lengths[r] * hidden];
            var source = flat.AsSpan(r * width * hidden, lengths[r] * hidden);
            for (int k = 0; k < row.Length; k++) row[k] = ToBf16(source[k]);
            rows[r] = row;
        }
        return rows;
    }

    /// <summary>Round to nearest even, as a cast to bfloat16 does.</summary>
    public static ushort ToBf16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    public static float FromBf16(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>
    /// States rounded as they are stored here (through bfloat16), for a forward pass at prediction time, in the dtype
    /// the layers reading them compute in (<paramref name="into"/>): bf16 states into bf16 layers are not converted at all.
    /// </summary>
    public static Tensor RoundLikeStored(Tensor states, ScalarType into = ScalarType.Float32)
    {
        using var rounded = states.to(ScalarType.BFloat16);
        return rounded.to(into);
    }

    /// <summary>
    /// Eval-mode logits of a model over these states (trained top layers, or a head of the bench) for some rows,
    /// flattened row-major [rows * classes]; a background torch-thread item per chunk of rows, and top layers yield
    /// inside it, so a hover waits for a third of a layer.
    /// </summary>
    public float[] Logits(TorchSharp.torch.nn.Module<Tensor, Tensor, Tensor> model, IReadOnlyList<int> rows,
        CancellationToken cancellationToken = default)
    {
        var result = new List<float>();
        const int chunk = 256;
        for (int start = 0; start < rows.Count; start += chunk)
        {
            var part = rows.Skip(start).Take(chunk).ToArray();
            result.AddRange(TorchThread.Shared.Run(() =>
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                model.eval();
                var (x, mask) = Batch(part);
                var logits = model is Model.TopLayers top
                    ? top.Forward(x, mask, TorchThread.Shared.YieldToInteractive)
                    : model.forward(x, mask);
                return logits.data<float>().ToArray();
            }, TorchPriority.Background, cancellationToken));
        }
        return result.ToArray();
    }

    /// <summary>A padded [rows, width, hidden] float32 batch and its [rows, width] mask (true on real tokens).</summary>
    public (Tensor States, Tensor Mask) Batch(IReadOnlyList<int> rows)
    {
        int width = rows.Max(r => Lengths[r]);
        var values = new float[rows.Count * width * Hidden];
        var mask = new bool[rows.Count * width];
        for (int b = 0; b < rows.Count; b++)
        {
            var source = States[rows[b]];
            var target = values.AsSpan(b * width * Hidden, source.Length);
            for (int k = 0; k < source.Length; k++) target[k] = FromBf16(source[k]);
            for (int t = 0; t < Lengths[rows[b]]; t++) mask[b * width + t] = true;
        }
        return (tensor(values, [rows.Count, width, Hidden]), tensor(mask, [rows.Count, width]));
    }
}
