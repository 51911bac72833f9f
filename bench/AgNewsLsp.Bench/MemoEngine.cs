using System.Security.Cryptography;
using System.Text;
using AgNewsLsp.Engine;
using AgNewsLsp.Evaluation;
using AgNewsLsp.Progress;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Bench;

/// <summary>
/// A <see cref="LabelingEngine"/> whose head does not change, with its predictions and sentence vectors remembered for
/// every text it was asked about (the engine's own prediction cache keeps 4,096 texts; a teach run asks about 12,000
/// again and again) and kept on disk between bench runs, keyed by the head file's bytes, the model and the precision.
/// Every answer is the inner engine's <see cref="LabelingEngine.ClassifyWithSentenceVectors"/>, computed once.
/// </summary>
public sealed class MemoEngine : ILabelingEngine
{
    private readonly LabelingEngine _inner;
    private readonly string _file;
    private readonly Dictionary<string, (Prediction Prediction, float[] Vector)> _known = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<string> _labels;
    private readonly string _head;
    private bool _dirty;

    public MemoEngine(LabelingEngine inner, string folder)
    {
        _inner = inner;
        var status = inner.GetStatus();
        var head = _head = status.HeadPath ?? throw new InvalidOperationException("The engine has no head.");
        _labels = status.LabelNames ?? throw new InvalidOperationException("The engine's head names no classes.");
        var key = Convert.ToHexString(SHA256.HashData(
            [.. File.ReadAllBytes(head), .. Encoding.UTF8.GetBytes($"|{inner.Encoder.Fingerprint}|{inner.Encoder.Precision}|{inner.Encoder.MaxTokens}")]))[..24];
        Directory.CreateDirectory(folder);
        _file = Path.Combine(folder, $"{Path.GetFileNameWithoutExtension(head)}-{key}.predictions");
        if (File.Exists(_file)) Read();
    }

    public int Count => _known.Count;

    /// <summary>Texts asked about for the first time go through the engine in chunks of this many, each chunk logged.</summary>
    public int Chunk { get; init; } = 1000;

    public Action<string>? Log { get; init; }

    /// <summary>The engine's status with this memo's head (the engine may serve another one by now).</summary>
    public EngineStatus GetStatus() => _inner.GetStatus() with { HeadPath = _head, LabelNames = _labels };

    public IReadOnlyList<Prediction> Classify(IReadOnlyList<string> texts, CancellationToken cancellationToken = default) =>
        ClassifyWithSentenceVectors(texts, cancellationToken).Predictions;

    public (IReadOnlyList<Prediction> Predictions, IReadOnlyList<float[]> Vectors) ClassifyWithSentenceVectors(IReadOnlyList<string> texts,
        CancellationToken cancellationToken = default)
    {
        var missing = texts.Where(t => !_known.ContainsKey(t)).Distinct(StringComparer.Ordinal).ToArray();
        if (missing.Length > 0 && _inner.HeadPath != _head)
            throw new InvalidOperationException($"The engine serves {_inner.HeadPath} now, not this memo's head {_head}.");
        for (int start = 0; start < missing.Length; start += Chunk)
        {
            var chunk = missing[start..Math.Min(missing.Length, start + Chunk)];
            if (missing.Length > Chunk) Log?.Invoke($"encoding {start + chunk.Length}/{missing.Length}");
            var (predictions, vectors) = _inner.ClassifyWithSentenceVectors(chunk, cancellationToken);
            for (int i = 0; i < chunk.Length; i++) _known[chunk[i]] = (predictions[i], vectors[i]);
            _dirty = true;
            if (missing.Length > Chunk) Save(); // a long fill stopped part way keeps what it computed
        }
        var found = texts.Select(t => _known[t]).ToArray();
        return (found.Select(f => f.Prediction).ToArray(), found.Select(f => f.Vector).ToArray());
    }

    /// <summary>Writes what was computed since the file was read (temp file and rename).</summary>
    public void Save()
    {
        if (!_dirty) return;
        var temp = _file + ".tmp";
        using (var writer = new BinaryWriter(File.Create(temp), Encoding.UTF8))
        {
            writer.Write(_known.Count);
            foreach (var (text, (prediction, vector)) in _known)
            {
                writer.Write(text);
                writer.Write(prediction.Truncated);
                writer.Write(prediction.TokenCount);
                writer.Write(prediction.Probabilities.Length);
                foreach (var p in prediction.Probabilities) writer.Write(p);
                writer.Write(vector.Length);
                foreach (var v in vector) writer.Write(v);
            }
        }
        File.Move(temp, _file, overwrite: true);
        _dirty = false;
    }

    private void Read()
    {
        using var reader = new BinaryReader(File.OpenRead(_file), Encoding.UTF8);
        int count = reader.ReadInt32();
        for (int i = 0; i < count; i++)
        {
            var text = reader.ReadString();
            bool truncated = reader.ReadBoolean();
            int tokens = reader.ReadInt32();
            var probabilities = new float[reader.ReadInt32()];
            for (int c = 0; c < probabilities.Length; c++) probabilities[c] = reader.ReadSingle();
            var vector = new float[reader.ReadInt32()];
            for (int d = 0; d < vector.Length; d++) vector[d] = reader.ReadSingle();
            int best = Metrics.ArgMax(probabilities);
            _known[text] = (new Prediction(_labels[best], best, probabilities, _labels, truncated, tokens), vector);
        }
    }

    public Task<TrainResult> TrainAsync(TrainRequest request, IProgress<WorkProgress>? progress, CancellationToken cancellationToken) =>
        throw new NotSupportedException("A memo of one head does not train.");

    public Task<EvaluationReport> EvaluateAsync(EvaluateRequest request, IProgress<WorkProgress>? progress, CancellationToken cancellationToken) =>
        throw new NotSupportedException("Evaluate through the engine itself.");

    public Embeddings Embed(IReadOnlyList<string> texts, Pooling? pooling = null, IProgress<WorkProgress>? progress = null,
        CancellationToken cancellationToken = default) => _inner.Embed(texts, pooling, progress, cancellationToken);
}
