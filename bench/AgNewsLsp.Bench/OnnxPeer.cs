using AgNewsLsp.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AgNewsLsp.Bench;

/// <summary>
/// The peer: ONNX Runtime running the embedded all-MiniLM-L6-v2 ONNX graph, fed exactly like our
/// TextEncoder (same tokenizer, same longest-first batches within the same token budget, dynamic
/// padding) and mean-pooled in C#, so the comparison measures the runtimes and nothing else.
/// </summary>
public sealed class OnnxPeer : IDisposable
{
    private readonly InferenceSession _session;
    private readonly BertWordPieceTokenizer _tokenizer;
    private readonly string[] _inputNames;
    private readonly Dictionary<string, TensorElementType> _inputTypes;
    private readonly string _outputName;

    public IReadOnlyList<string> InputNames => _inputNames;
    public string OutputName => _outputName;
    public int Threads { get; }
    public int BatchTokenBudget { get; init; } = 2048;
    public int MaxBatchSize { get; init; } = 64;
    public int MaxTokens { get; init; } = 128;

    public OnnxPeer(byte[] model, BertWordPieceTokenizer tokenizer, int threads)
    {
        Threads = threads;
        _tokenizer = tokenizer;
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(model, options);
        _inputNames = _session.InputMetadata.Keys.ToArray();
        _inputTypes = _session.InputMetadata.ToDictionary(kv => kv.Key, kv => kv.Value.ElementDataType);
        foreach (var name in _inputNames)
            if (name is not ("input_ids" or "attention_mask" or "token_type_ids"))
                throw new InvalidDataException($"The ONNX graph has an unexpected input '{name}'.");
        // The token-level output: [batch, seq, hidden].
        _outputName = _session.OutputMetadata.First(kv => kv.Value.Dimensions.Length == 3).Key;
    }

    public string Describe() =>
        $"inputs {string.Join(", ", _inputNames.Select(n => $"{n}:{_inputTypes[n]}"))}; output {_outputName}; " +
        $"outputs {string.Join(", ", _session.OutputMetadata.Keys)}";

    /// <summary>Mean-pooled vectors in input order, batched as TextEncoder.Encode does.</summary>
    public float[][] EncodeMean(IReadOnlyList<string> texts)
    {
        var encoded = _tokenizer.EncodeBatch(texts, MaxTokens);
        var result = new float[texts.Count][];
        var order = Enumerable.Range(0, texts.Count).OrderByDescending(i => encoded[i].Length).ToArray();
        int done = 0;
        while (done < order.Length)
        {
            int width = encoded[order[done]].Length;
            int size = Math.Clamp(BatchTokenBudget / Math.Max(width, 1), 1, MaxBatchSize);
            var indexes = order.Skip(done).Take(size).ToArray();
            var pooled = Forward(indexes.Select(i => encoded[i]).ToArray());
            for (int r = 0; r < indexes.Length; r++) result[indexes[r]] = pooled[r];
            done += indexes.Length;
        }
        return result;
    }

    private float[][] Forward(IReadOnlyList<EncodedText> batch)
    {
        var (ids, mask, width) = _tokenizer.Pad(batch);
        long[] shape = [batch.Count, width];
        var values = new List<OrtValue>();
        try
        {
            foreach (var name in _inputNames)
            {
                long[] data = name switch
                {
                    "input_ids" => ids,
                    "attention_mask" => mask,
                    _ => new long[ids.Length],
                };
                values.Add(_inputTypes[name] == TensorElementType.Int32
                    ? OrtValue.CreateTensorValueFromMemory(data.Select(v => (int)v).ToArray(), shape)
                    : OrtValue.CreateTensorValueFromMemory(data, shape));
            }
            using var runOptions = new RunOptions();
            using var outputs = _session.Run(runOptions, _inputNames, values, [_outputName]);
            var hidden = outputs[0].GetTensorDataAsSpan<float>();
            int dim = (int)outputs[0].GetTensorTypeAndShape().Shape[2];
            var result = new float[batch.Count][];
            for (int r = 0; r < batch.Count; r++)
            {
                var sum = new float[dim];
                int count = 0;
                for (int t = 0; t < width; t++)
                {
                    if (mask[r * width + t] == 0) continue;
                    count++;
                    var row = hidden.Slice((r * width + t) * dim, dim);
                    for (int d = 0; d < dim; d++) sum[d] += row[d];
                }
                for (int d = 0; d < dim; d++) sum[d] /= Math.Max(count, 1);
                result[r] = sum;
            }
            return result;
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    public void Dispose() => _session.Dispose();
}
