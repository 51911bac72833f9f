using AgNewsLsp.Engine;
using AgNewsLsp.Evaluation;
using AgNewsLsp.Teaching;

namespace AgNewsLsp.Bench;

/// <summary>
/// Teaching replayed offline, to compare many <see cref="BlendSettings"/> in seconds: the head's predictions and the
/// texts' sentence vectors are computed once (by the engine), every similarity between a pool text (what the annotator
/// may label) and an evaluated text once, and then each setting runs the product's own parts over them: the correction
/// layer (<see cref="CorrectionMemory.LayerExamples"/>, <see cref="CorrectionLayer"/>), the nearest-neighbour vote (<see cref="CorrectionMemory.BlendInto"/>) and the
/// ranking (<see cref="Suggestions.Rank"/>). It gives what <see cref="Teacher"/> and <see cref="TaughtEngine"/> give on
/// the same texts (a test holds it to that), but for two things: a text of the evaluated set that is also, word for word,
/// a taught pool text would show its own label there, and the product refits the layer after every correction from the
/// last fit where this fits it once per step (both until the gradient bounds the distance to the fixed point by the same
/// tolerance).
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
    private readonly float[][] _poolUnits, _evalUnits;
    private readonly float[][] _evalByPool;
    private readonly Lazy<float[][]> _poolByPool;
    /// <summary>Texts the head labelled that the layer keeps as they are: unit vector, the head's probabilities, and the pool text it is (-1: none).</summary>
    private readonly (float[] Unit, float[] Head, int PoolIndex)[] _background;

    /// <param name="headLabels">The head's classes, in its output order.</param>
    /// <param name="newLabels">Classes the pool's gold labels may name beyond the head's (taught as new classes).</param>
    /// <param name="background">The layer's background (<see cref="CorrectionMemory.Observe"/>): other texts, or pool texts by index.</param>
    public TeachSimulation(IReadOnlyList<string> headLabels, IReadOnlyList<string> newLabels, TextSet pool, TextSet eval,
        TextSet? background = null, IReadOnlyList<int>? backgroundFromPool = null)
    {
        _labels = [.. headLabels, .. newLabels];
        _headClasses = headLabels.Count;
        _pool = pool;
        _eval = eval;
        _poolUnits = pool.Vectors.Select(CorrectionMemory.Normalised).ToArray();
        _evalUnits = eval.Vectors.Select(CorrectionMemory.Normalised).ToArray();
        _evalByPool = new float[eval.Count][];
        Parallel.For(0, eval.Count, e =>
        {
            var row = new float[pool.Count];
            for (int p = 0; p < pool.Count; p++) row[p] = CorrectionMemory.Dot(_evalUnits[e], _poolUnits[p]);
            _evalByPool[e] = row;
        });
        _poolByPool = new(PoolByPool, LazyThreadSafetyMode.ExecutionAndPublication);
        _background = [
            .. (background is null ? [] : Enumerable.Range(0, background.Count).Select(i => (CorrectionMemory.Normalised(background.Vectors[i]), background.Probabilities[i], -1))),
            .. (backgroundFromPool ?? []).Select(p => (_poolUnits[p], pool.Probabilities[p], p)),
        ];
    }

    public IReadOnlyList<string> Labels => _labels;

    /// <summary>
    /// The label index each evaluated text gets once the pool texts <paramref name="taught"/> carry their gold labels, and
    /// the layer fitted for it (<paramref name="start"/>: a fit to start from, as the product starts from its last one).
    /// </summary>
    public (int[] Predicted, CorrectionLayer? Layer) Predict(IReadOnlyList<int> taught, BlendSettings blend, LayerSettings layer, CorrectionLayer? start = null)
    {
        var fitted = FitLayer(taught, layer, start);
        int classes = Classes(taught);
        var result = new int[_eval.Count];
        var corrections = new (int Label, float Similarity)[taught.Count];
        var probabilities = new float[classes];
        for (int e = 0; e < _eval.Count; e++)
        {
            Array.Clear(probabilities);
            _eval.Probabilities[e].CopyTo(probabilities, 0);
            fitted?.Apply(probabilities, _headClasses, _evalUnits[e], layer.NewClassPrior);
            var row = _evalByPool[e];
            for (int j = 0; j < taught.Count; j++) corrections[j] = (_pool.Gold[taught[j]], row[taught[j]]);
            CorrectionMemory.BlendInto(probabilities, corrections, blend);
            result[e] = Metrics.ArgMax(probabilities);
        }
        return (result, fitted);
    }

    /// <summary>Predictions after each of <paramref name="steps"/> first texts of <paramref name="order"/>, each fit starting from the one before.</summary>
    public int[][] Curve(IReadOnlyList<int> order, IReadOnlyList<int> steps, BlendSettings blend, LayerSettings layer)
    {
        CorrectionLayer? last = null;
        var result = new int[steps.Count][];
        for (int s = 0; s < steps.Count; s++)
            (result[s], last) = Predict(order.Take(steps[s]).ToArray(), blend, layer, last);
        return result;
    }

    /// <summary>
    /// The correction layer fitted by the product's rule (<see cref="CorrectionMemory.LayerExamples"/>) to the taught pool
    /// texts with their gold labels and the background not taught; null when off or when there is nothing to fit.
    /// </summary>
    public CorrectionLayer? FitLayer(IReadOnlyList<int> taught, LayerSettings layer, CorrectionLayer? start = null)
    {
        if (layer.Off || taught.Count == 0) return null;
        var taughtSet = taught.ToHashSet();
        var plan = CorrectionMemory.LayerExamples(taught.Select(t => (_poolUnits[t], _pool.Probabilities[t], _pool.Gold[t])).ToArray(),
            _background.Where(b => b.PoolIndex < 0 || !taughtSet.Contains(b.PoolIndex)).Select(b => (b.Unit, b.Head)).ToArray(),
            _headClasses, Classes(taught), layer);
        return plan.Examples.Length == 0 ? null : CorrectionLayer.Fit(plan.Examples, plan.Classes, _headClasses, layer.Pull, start);
    }

    /// <summary>The head's classes and, as in the product, a new class only once a correction named it (the last one named, and those before it).</summary>
    private int Classes(IReadOnlyList<int> taught)
    {
        int classes = _headClasses;
        foreach (var t in taught) classes = Math.Max(classes, _pool.Gold[t] + 1);
        return classes;
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
    public IReadOnlyList<int> SuggestionOrder(int count, int batch, BlendSettings blend, LayerSettings layer)
    {
        var poolByPool = _poolByPool.Value;
        var taught = new List<int>(count);
        var isTaught = new bool[_pool.Count];
        var corrections = new List<(int Label, float Similarity)>(count);
        CorrectionLayer? fitted = null;
        while (taught.Count < Math.Min(count, _pool.Count))
        {
            fitted = FitLayer(taught, layer, fitted);
            var probabilities = new float[Classes(taught)];
            var predictions = new Prediction[_pool.Count];
            for (int p = 0; p < _pool.Count; p++)
            {
                if (isTaught[p])
                {
                    predictions[p] = new Prediction(_labels[_pool.Gold[p]], _pool.Gold[p], OneHot(_pool.Gold[p], probabilities.Length), _labels, false, 0) { ByUser = true };
                    continue;
                }
                Array.Clear(probabilities);
                _pool.Probabilities[p].CopyTo(probabilities, 0);
                fitted?.Apply(probabilities, _headClasses, _poolUnits[p], layer.NewClassPrior);
                corrections.Clear();
                foreach (var t in taught) corrections.Add((_pool.Gold[t], poolByPool[p][t]));
                CorrectionMemory.BlendInto(probabilities, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(corrections), blend);
                int best = Metrics.ArgMax(probabilities);
                predictions[p] = new Prediction(_labels[best], best, (float[])probabilities.Clone(), _labels, false, 0);
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

    private static float[] OneHot(int label, int classes)
    {
        var p = new float[classes];
        p[label] = 1;
        return p;
    }

    private float[][] PoolByPool()
    {
        var result = new float[_pool.Count][];
        Parallel.For(0, _pool.Count, a =>
        {
            var row = new float[_pool.Count];
            for (int b = 0; b < _pool.Count; b++) row[b] = CorrectionMemory.Dot(_poolUnits[a], _poolUnits[b]);
            result[a] = row;
        });
        return result;
    }
}
