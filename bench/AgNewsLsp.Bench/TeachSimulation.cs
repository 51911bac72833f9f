using AgNewsLsp.Engine;
using AgNewsLsp.Evaluation;
using AgNewsLsp.Teaching;

namespace AgNewsLsp.Bench;

/// <summary>
/// Teaching replayed offline, to compare many <see cref="BlendSettings"/> in seconds: the head's predictions and the
/// texts' sentence vectors are computed once (by the engine), every similarity between a pool text (what the annotator
/// may label) and an evaluated text once, and then each setting runs the product's own rule
/// (<see cref="CorrectionMemory.BlendInto"/>) and ranking (<see cref="Suggestions.Rank"/>) over them. It gives what
/// <see cref="Teacher"/> and <see cref="TaughtEngine"/> give on the same texts (a test holds it to that), except that a
/// text of the evaluated set that is also, word for word, a taught pool text would show its own label there.
/// </summary>
public sealed class TeachSimulation
{
    /// <summary>Texts as the head sees them: its probabilities (over its classes), sentence vectors, gold class indexes.</summary>
    /// <param name="Gold">Indexes into the simulation's labels: the head's classes, then the new ones.</param>
    public sealed record TextSet(IReadOnlyList<float[]> Probabilities, IReadOnlyList<float[]> Vectors, IReadOnlyList<int> Gold)
    {
        public int Count => Gold.Count;
    }

    private readonly string[] _labels;
    private readonly int _headClasses;
    private readonly TextSet _pool, _eval;
    private readonly float[][] _poolUnits;
    private readonly float[][] _evalByPool;
    private readonly Lazy<float[][]> _poolByPool;

    /// <param name="headLabels">The head's classes, in its output order.</param>
    /// <param name="newLabels">Classes the pool's gold labels may name beyond the head's (taught as new classes).</param>
    public TeachSimulation(IReadOnlyList<string> headLabels, IReadOnlyList<string> newLabels, TextSet pool, TextSet eval)
    {
        _labels = [.. headLabels, .. newLabels];
        _headClasses = headLabels.Count;
        _pool = pool;
        _eval = eval;
        _poolUnits = pool.Vectors.Select(Unit).ToArray();
        var evalUnits = eval.Vectors.Select(Unit).ToArray();
        _evalByPool = new float[eval.Count][];
        Parallel.For(0, eval.Count, e =>
        {
            var row = new float[pool.Count];
            for (int p = 0; p < pool.Count; p++) row[p] = Dot(evalUnits[e], _poolUnits[p]);
            _evalByPool[e] = row;
        });
        _poolByPool = new(PoolByPool, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public IReadOnlyList<string> Labels => _labels;

    /// <summary>A vector at unit length, computed as <see cref="CorrectionMemory"/> does (so similarities agree to the bit).</summary>
    public static float[] Unit(float[] vector)
    {
        float norm = MathF.Sqrt(Dot(vector, vector));
        return norm > 0 ? vector.Select(v => v / norm).ToArray() : (float[])vector.Clone();
    }

    /// <summary>The dot product in <see cref="CorrectionMemory"/>'s order of additions.</summary>
    public static float Dot(float[] a, float[] b)
    {
        float sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>The label index each evaluated text gets once the pool texts <paramref name="taught"/> carry their gold labels.</summary>
    public int[] Predict(IReadOnlyList<int> taught, BlendSettings blend)
    {
        var result = new int[_eval.Count];
        var corrections = new (int Label, float Similarity)[taught.Count];
        var probabilities = new float[_labels.Length];
        for (int e = 0; e < _eval.Count; e++)
        {
            Array.Clear(probabilities);
            _eval.Probabilities[e].CopyTo(probabilities, 0);
            var row = _evalByPool[e];
            for (int j = 0; j < taught.Count; j++) corrections[j] = (_pool.Gold[taught[j]], row[taught[j]]);
            CorrectionMemory.BlendInto(probabilities, corrections, blend);
            result[e] = Metrics.ArgMax(probabilities);
        }
        return result;
    }

    /// <summary>Accuracy on the evaluated texts, over those whose gold class <paramref name="counted"/> accepts (all: null).</summary>
    public double Accuracy(IReadOnlyList<int> predicted, Func<int, bool>? counted = null)
    {
        int n = 0, right = 0;
        for (int e = 0; e < _eval.Count; e++)
        {
            if (counted is not null && !counted(_eval.Gold[e])) continue;
            n++;
            if (predicted[e] == _eval.Gold[e]) right++;
        }
        return n == 0 ? double.NaN : (double)right / n;
    }

    /// <summary>
    /// The pool texts in the order <see cref="Teacher.Suggest"/> puts them to an annotator who labels
    /// <paramref name="batch"/> at a time: after each batch the pool is ranked again with what was taught so far.
    /// </summary>
    public IReadOnlyList<int> SuggestionOrder(int count, int batch, BlendSettings blend)
    {
        var poolByPool = _poolByPool.Value;
        var taught = new List<int>(count);
        var isTaught = new bool[_pool.Count];
        var probabilities = new float[_labels.Length];
        var corrections = new List<(int Label, float Similarity)>(count);
        while (taught.Count < Math.Min(count, _pool.Count))
        {
            var predictions = new Prediction[_pool.Count];
            for (int p = 0; p < _pool.Count; p++)
            {
                if (isTaught[p])
                {
                    predictions[p] = new Prediction(_labels[_pool.Gold[p]], _pool.Gold[p], OneHot(_pool.Gold[p]), _labels, false, 0) { ByUser = true };
                    continue;
                }
                Array.Clear(probabilities);
                _pool.Probabilities[p].CopyTo(probabilities, 0);
                corrections.Clear();
                foreach (var t in taught) corrections.Add((_pool.Gold[t], poolByPool[p][t]));
                CorrectionMemory.BlendInto(probabilities, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(corrections), blend);
                int best = Metrics.ArgMax(probabilities);
                predictions[p] = new Prediction(_labels[best], best, WithoutUntaughtClasses(probabilities, taught), _labels, false, 0);
            }
            var next = Suggestions.Rank(predictions, _pool.Vectors, Math.Min(batch, count - taught.Count));
            if (next.Count == 0) break;
            foreach (var s in next)
            {
                taught.Add(s.Index);
                isTaught[s.Index] = true;
            }
        }
        return taught;
    }

    /// <summary>
    /// The probabilities as the product holds them: a new class has a column only once a correction named it, and the
    /// margin that ranks suggestions is taken over those columns.
    /// </summary>
    private float[] WithoutUntaughtClasses(float[] probabilities, List<int> taught)
    {
        int columns = _headClasses;
        for (int c = _headClasses; c < _labels.Length; c++)
            if (taught.Any(t => _pool.Gold[t] == c)) columns = c + 1;
        return probabilities[..columns];
    }

    private float[] OneHot(int label)
    {
        var p = new float[_labels.Length];
        p[label] = 1;
        return p;
    }

    private float[][] PoolByPool()
    {
        var result = new float[_pool.Count][];
        Parallel.For(0, _pool.Count, a =>
        {
            var row = new float[_pool.Count];
            for (int b = 0; b < _pool.Count; b++) row[b] = Dot(_poolUnits[a], _poolUnits[b]);
            result[a] = row;
        });
        return result;
    }
}
