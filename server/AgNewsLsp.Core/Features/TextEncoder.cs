using AgNewsLsp.Model;
using AgNewsLsp.Model.Checkpoints;
using AgNewsLsp.Native;
using AgNewsLsp.Text;
using TorchSharp;
using static TorchSharp.torch;
using AgNewsLsp.Progress;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Features;

/// <summary>Pooled features of many texts, in input order, one array per pooling.</summary>
public sealed record EncodedFeatures(IReadOnlyDictionary<Pooling, float[][]> ByPooling, bool[] Truncated, int[] TokenCounts)
{
    /// <summary>The logits of the trained top layers asked for, per text; null when none were.</summary>
    public float[][]? TopLogits { get; init; }

    /// <summary>
    /// The states kept in the same pass (<see cref="TextEncoder.Encode"/>'s keepStatesAfter), per text; null when none were.
    /// </summary>
    public ushort[][]? States { get; init; }

    /// <summary>Tokens per text, [CLS] and [SEP] included: the lengths of <see cref="States"/>.</summary>
    public required int[] Lengths { get; init; }
}

/// <summary>
/// The frozen encoder: tokenizer + BERT. Encodes texts in length-sorted batches with dynamic padding
/// (each batch padded to its own longest text, never to a fixed 500), within a token budget per batch.
/// Callable from any thread: the batches themselves run on the <see cref="TorchThread"/>, interactive before background.
/// </summary>
public sealed class TextEncoder : IDisposable
{
    public BertModel Model { get; }
    public BertWordPieceTokenizer Tokenizer { get; }
    public string ModelName { get; }
    public string ModelFolder { get; }
    public string Fingerprint { get; }
    public Precision Precision { get; }
    public int MaxTokens { get; }

    /// <summary>Padded tokens per batch: big enough for fast matmuls, small enough to stay in cache.</summary>
    public int BatchTokenBudget { get; init; } = 2048;
    public int MaxBatchSize { get; init; } = 64;

    private TextEncoder(BertModel model, BertWordPieceTokenizer tokenizer, string name, string folder, Precision precision, int maxTokens)
    {
        Model = model;
        Tokenizer = tokenizer;
        ModelName = name;
        ModelFolder = folder;
        Fingerprint = ModelIdentity.Fingerprint(model);
        Precision = precision;
        if (precision == Precision.Bf16) model.to(ScalarType.BFloat16);
        else model.UseColumnMajorLinearWeights(); // fp32 only: bf16 runs on oneDNN, which gains nothing from it
        MaxTokens = Math.Min(maxTokens, model.Config.MaxPositionEmbeddings);
    }

    public static TextEncoder Load(string checkpointFolder, string modelName, Precision? precision = null,
        int maxTokens = EngineSettings.DefaultMaxTokens)
    {
        TorchRuntime.EnsureInitialized();
        EngineSettings.CheckMaxTokens(maxTokens);
        var tokenizer = BertWordPieceTokenizer.FromCheckpoint(checkpointFolder);
        var model = BertCheckpoint.Load(checkpointFolder);
        return new TextEncoder(model, tokenizer, modelName, checkpointFolder, precision ?? Precisions.Default, maxTokens);
    }

    public int HiddenSize => Model.Config.HiddenSize;

    /// <summary>
    /// Pooled features of <paramref name="texts"/>. Each batch runs on the <see cref="TorchThread"/>; with
    /// <see cref="TorchPriority.Background"/> (long work) a hover's interactive batch goes in between.
    /// </summary>
    /// <param name="top">Trained top layers to run in the same pass, on the states after the frozen layers below them.</param>
    /// <param name="keepStatesAfter">
    /// Also keep each text's states after this many layers, as <see cref="TokenStates"/> stores them: what training top
    /// layers needs, from the pass that pools the features, so a cold run does not run the lower layers twice.
    /// </param>
    /// <param name="fixedShapes">
    /// Batch by <see cref="FixedShapeBatches"/>, so that each text's features depend on the text alone, not on which texts
    /// were encoded with it.
    /// </param>
    public EncodedFeatures Encode(IReadOnlyList<string> texts, IReadOnlyList<Pooling> poolings,
        IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default, string stage = "features",
        TorchPriority priority = TorchPriority.Interactive, TopLayers? top = null, int? keepStatesAfter = null, bool fixedShapes = false)
    {
        if (top is not null && keepStatesAfter is { } asked && asked != top.Shape.From)
            throw new ArgumentException("Trained top layers read the states after their own first layer.", nameof(keepStatesAfter));
        var encoded = Tokenizer.EncodeBatch(texts, MaxTokens);
        var byPooling = poolings.ToDictionary(p => p, _ => new float[texts.Count][]);
        var topLogits = top is null ? null : new float[texts.Count][];
        var states = keepStatesAfter is null ? null : new ushort[texts.Count][];
        int clsLayers = PoolingLayer.ClsLayersNeeded(poolings);

        // A batch of long texts takes a second or more on a busy machine: a background batch also stops for a cancel at
        // its yield points, between and inside layers (each layer's tensors are in a dispose scope, so nothing leaks).
        void YieldOrStop()
        {
            TorchThread.Shared.YieldToInteractive();
            cancellationToken.ThrowIfCancellationRequested();
        }
        int done = 0;
        progress?.Report(new WorkProgress(stage, 0, texts.Count));
        foreach (var batchIndexes in fixedShapes ? FixedShapeBatches(encoded, BatchTokenBudget, MaxBatchSize) : Batches(encoded))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = batchIndexes.Select(i => encoded[i]).ToArray();
            var width = fixedShapes ? FixedWidth(batch[0].Length) : 0;
            // A background batch lets a waiting hover run inside it, between layers; an interactive one may run so.
            var results = priority == TorchPriority.Background
                ? TorchThread.Shared.Run(() => Forward(batch, poolings, clsLayers, YieldOrStop, top, keepStatesAfter, width), priority,
                    cancellationToken)
                : TorchThread.Shared.Run(() => Forward(batch, poolings, clsLayers, null, top, keepStatesAfter, width),
                    TorchPriority.InteractiveNested, cancellationToken);
            foreach (var pooling in poolings)
                for (int r = 0; r < batchIndexes.Length; r++)
                    byPooling[pooling][batchIndexes[r]] = results.Pooled[pooling][r];
            if (topLogits is not null)
                for (int r = 0; r < batchIndexes.Length; r++) topLogits[batchIndexes[r]] = results.TopLogits![r];
            if (states is not null)
                for (int r = 0; r < batchIndexes.Length; r++) states[batchIndexes[r]] = results.States![r];
            done += batchIndexes.Distinct().Count(); // a fixed-shape batch may repeat a text to fill its rows
            progress?.Report(new WorkProgress(stage, done, texts.Count));
        }
        return new EncodedFeatures(byPooling, encoded.Select(e => e.Truncated).ToArray(), encoded.Select(e => e.TokenCount).ToArray())
        {
            TopLogits = topLogits,
            States = states,
            Lengths = encoded.Select(e => e.Length).ToArray(),
        };
    }

    /// <summary>
    /// The indexes of <paramref name="encoded"/> in batches: longest first (the first batch shows the peak memory, and
    /// similar lengths share a batch, so little is padding), each batch within <see cref="BatchTokenBudget"/> padded
    /// tokens and <see cref="MaxBatchSize"/> texts. Every pass of the encoder over many texts batches this way.
    /// </summary>
    public IEnumerable<int[]> Batches(IReadOnlyList<EncodedText> encoded) => Batches(encoded, BatchTokenBudget, MaxBatchSize);

    internal static IEnumerable<int[]> Batches(IReadOnlyList<EncodedText> encoded, int tokenBudget, int maxBatchSize)
    {
        var order = Enumerable.Range(0, encoded.Count).OrderByDescending(i => encoded[i].Length).ToArray();
        for (int done = 0; done < order.Length;)
        {
            int width = encoded[order[done]].Length;
            int size = Math.Min(Math.Clamp(tokenBudget / Math.Max(width, 1), 1, maxBatchSize), order.Length - done);
            yield return order[done..(done + size)];
            done += size;
        }
    }

    /// <summary>
    /// Batches whose shape depends on each text's own length alone: texts of one <see cref="FixedWidth"/> only, padded to
    /// it, in the rows <see cref="Batches"/> would give that width (the token budget over the width, at most
    /// <paramref name="maxBatchSize"/>), a batch that comes out short filled with copies of its last text. In a batch of
    /// mixed shape a text's features move in their last bits with the padded width and the row count (the matrix kernels
    /// add in another order), while in batches of one shape they are the same whichever texts share the batch and in
    /// whichever row (checked on this project's encoder in fp32 and bf16); so a text is encoded the same in any call, as a
    /// folder labelled in shards needs. The copies cost compute: callers pass many texts at once, so that most widths fill
    /// their batches (docs/scale-out.md has the cost).
    /// </summary>
    internal static IEnumerable<int[]> FixedShapeBatches(IReadOnlyList<EncodedText> encoded, int tokenBudget, int maxBatchSize)
    {
        foreach (var group in Enumerable.Range(0, encoded.Count).GroupBy(i => FixedWidth(encoded[i].Length)).OrderByDescending(g => g.Key))
        {
            var rows = Math.Clamp(tokenBudget / Math.Max(group.Key, 1), 1, maxBatchSize);
            foreach (var chunk in group.Chunk(rows))
                yield return chunk.Length == rows ? chunk : [.. chunk, .. Enumerable.Repeat(chunk[^1], rows - chunk.Length)];
        }
    }

    /// <summary>
    /// The width a text of <paramref name="length"/> tokens is padded to in a fixed-shape batch: its length up to 16 tokens
    /// (short lengths are common, and padding them would cost the most), above that rounded up to a multiple of an eighth
    /// of the largest power of two not above it (under 12.5 % padding), so that texts of nearby lengths share batches.
    /// </summary>
    internal static int FixedWidth(int length)
    {
        if (length <= 16) return length;
        var step = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)length + 1) / 16;
        return (length + step - 1) / step * step;
    }

    private (Dictionary<Pooling, float[][]> Pooled, float[][]? TopLogits, ushort[][]? States) Forward(IReadOnlyList<EncodedText> batch,
        IReadOnlyList<Pooling> poolings, int clsLayers, Action? yieldPoint, TopLayers? top, int? keepStatesAfter, int minWidth = 0)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (ids, mask, width) = Tokenizer.Pad(batch, minWidth);
        var idTensor = tensor(ids, [batch.Count, width]);
        var maskTensor = tensor(mask, [batch.Count, width]);
        using var output = Model.Forward(idTensor, maskTensor, clsLayers, yieldPoint, top?.Shape.From ?? keepStatesAfter,
            clsOnly: PoolingLayer.ClsOnly(poolings));
        var result = new Dictionary<Pooling, float[][]>();
        foreach (var pooling in poolings)
            result[pooling] = Rows(PoolingLayer.Apply(pooling, output, maskTensor));
        float[][]? topLogits = null;
        if (top is not null)
        {
            // The states as training stored them (bf16-rounded float32), so the layers see what they learnt from.
            top.eval();
            topLogits = Rows(top.Forward(TokenStates.RoundLikeStored(output.KeptStates!, top.StateType), maskTensor, yieldPoint));
        }
        var states = keepStatesAfter is null ? null : TokenStates.StoredRows(output.KeptStates!, batch.Select(e => e.Length).ToArray());
        return (result, topLogits, states);
    }

    /// <summary>A [rows, width] tensor's rows as float32 arrays.</summary>
    private static float[][] Rows(Tensor matrix)
    {
        using var values = matrix.to(ScalarType.Float32);
        return RowMajor.Rows(values.data<float>().ToArray(), (int)matrix.shape[1]);
    }

    public void Dispose() => Model.Dispose();
}
