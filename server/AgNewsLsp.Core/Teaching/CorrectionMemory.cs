using AgNewsLsp.Data;
using AgNewsLsp.Engine;
using AgNewsLsp.Evaluation;

namespace AgNewsLsp.Teaching;

/// <summary>
/// How corrections change labels: the rule's constants, chosen on training rows by the bench's teach section (README,
/// Teach in place), never on the test split.
/// </summary>
public static class TeachingSettings
{
    /// <summary>Corrected texts less similar than this (cosine of mean-pooled sentence vectors) do not move a label.</summary>
    public const float MinSimilarity = 0.5f;
    /// <summary>From this similarity up, the corrections' vote has its full weight.</summary>
    public const float FullSimilarity = 0.8f;
    /// <summary>The most the corrections' vote weighs against the head's probabilities.</summary>
    public const float MaxWeight = 0.9f;
    /// <summary>Nearest corrected texts that vote.</summary>
    public const int Neighbours = 8;
    /// <summary>How sharply a vote favours the most similar of them (a softmax over similarities at this temperature).</summary>
    public const float Temperature = 0.05f;
    /// <summary>Suggestions this similar to one already listed are the same text for a reviewer, and left out.</summary>
    public const float NearDuplicate = 0.95f;
    /// <summary>A class taught by fewer corrections than this is called weak in the result.</summary>
    public const int FewExamples = 20;
}

/// <summary>
/// The blend's constants as one value (<see cref="Default"/>: <see cref="TeachingSettings"/>'), so that the bench can try
/// others on training rows before one set is chosen; the product uses <see cref="Default"/>.
/// </summary>
public sealed record BlendSettings
{
    public BlendSettings(float minSimilarity, float fullSimilarity, float maxWeight, int neighbours, float temperature)
    {
        if (!(minSimilarity is >= -1 and <= 1) || !(fullSimilarity > minSimilarity && fullSimilarity <= 1))
            throw new ArgumentOutOfRangeException(nameof(fullSimilarity), "Similarities need -1 <= min < full <= 1.");
        if (!(maxWeight is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(maxWeight), "The weight is from 0 to 1.");
        if (neighbours < 1) throw new ArgumentOutOfRangeException(nameof(neighbours), "At least one neighbour votes.");
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), "The temperature is positive.");
        (MinSimilarity, FullSimilarity, MaxWeight, Neighbours, Temperature) = (minSimilarity, fullSimilarity, maxWeight, neighbours, temperature);
    }

    public static BlendSettings Default { get; } = new(TeachingSettings.MinSimilarity, TeachingSettings.FullSimilarity, TeachingSettings.MaxWeight,
        TeachingSettings.Neighbours, TeachingSettings.Temperature);

    /// <inheritdoc cref="TeachingSettings.MinSimilarity"/>
    public float MinSimilarity { get; }
    /// <inheritdoc cref="TeachingSettings.FullSimilarity"/>
    public float FullSimilarity { get; }
    /// <inheritdoc cref="TeachingSettings.MaxWeight"/>
    public float MaxWeight { get; }
    /// <inheritdoc cref="TeachingSettings.Neighbours"/>
    public int Neighbours { get; }
    /// <inheritdoc cref="TeachingSettings.Temperature"/>
    public float Temperature { get; }

    public override string ToString() =>
        FormattableString.Invariant($"min {MinSimilarity:0.###}, full {FullSimilarity:0.###}, weight {MaxWeight:0.###}, k {Neighbours}, T {Temperature:0.###}");
}

/// <summary>
/// What the user taught, in memory: each corrected text's label and its sentence vector (the encoder's mean pooling,
/// unit length). A corrected text is shown with its label at once, marked as the user's; any other text's prediction is
/// the head's blended with the labels of the corrected texts most like it, by similarity (a nearest-neighbour memory).
/// A label the head does not know is a new class: it gets a probability of its own beside the head's classes.
/// Why this and not a retrained head: it learns in the time of one encoder pass (no training run, no swap), it works
/// with any head and no base data on disk, and texts unlike every correction keep the head's label, so it does not
/// forget what the head knew (README, Teach in place, has the measurements). Thread-safe.
/// </summary>
public sealed class CorrectionMemory
{
    private sealed record Entry(string Key, string Label, float[] Vector);

    private readonly Lock _gate = new();
    private readonly List<Entry> _entries = [];
    private int _version;

    public CorrectionMemory() : this(BlendSettings.Default)
    {
    }

    public CorrectionMemory(BlendSettings blend) => Blend = blend;

    /// <summary>How similar corrected texts move a prediction.</summary>
    public BlendSettings Blend { get; }

    public int Count
    {
        get { lock (_gate) return _entries.Count; }
    }

    /// <summary>Changes with every correction added or removed: what was computed with an older version is stale.</summary>
    public int Version
    {
        get { lock (_gate) return _version; }
    }

    /// <summary>Adds a corrected text (or relabels it), with its sentence vector (any length: it is normalised here).</summary>
    public void Set(string text, string label, float[] vector)
    {
        var key = CorrectionsFile.Key(text);
        var unit = Normalised(vector);
        lock (_gate)
        {
            _entries.RemoveAll(e => e.Key == key);
            _entries.Add(new Entry(key, label, unit));
            _version++;
        }
    }

    public bool Remove(string text)
    {
        var key = CorrectionsFile.Key(text);
        lock (_gate)
        {
            bool removed = _entries.RemoveAll(e => e.Key == key) > 0;
            if (removed) _version++;
            return removed;
        }
    }

    /// <summary>The label a person gave this very text, or null.</summary>
    public string? LabelOf(string text)
    {
        var key = CorrectionsFile.Key(text);
        lock (_gate) return _entries.LastOrDefault(e => e.Key == key)?.Label;
    }

    /// <summary>Corrections per label, as the user spelled them (the first spelling of a class).</summary>
    public IReadOnlyDictionary<string, int> CountsByLabel()
    {
        lock (_gate)
            return _entries.GroupBy(e => e.Label, ClassNames.Comparer).ToDictionary(g => g.First().Label, g => g.Count(), ClassNames.Comparer);
    }

    /// <summary>The classes corrections name that <paramref name="known"/> lacks, in the order they were first taught.</summary>
    public IReadOnlyList<string> NewClasses(IReadOnlyList<string> known)
    {
        lock (_gate)
            return _entries.Select(e => e.Label).Where(l => ClassNames.IndexOf(known, l) < 0).Distinct(ClassNames.Comparer).ToList();
    }

    /// <summary>
    /// The prediction with what was taught: the user's own label for a corrected text; else the head's probabilities
    /// (over its classes and any new ones) blended with the vote of the most similar corrected texts.
    /// <paramref name="vector"/>: the text's sentence vector (null: no blending, only an exact match counts).
    /// </summary>
    public Prediction Apply(Prediction head, string text, float[]? vector)
    {
        Entry[] entries;
        lock (_gate) entries = [.. _entries];
        if (entries.Length == 0) return head;
        var labels = head.LabelNames.Concat(entries.Select(e => e.Label).Where(l => ClassNames.IndexOf(head.LabelNames, l) < 0)
            .Distinct(ClassNames.Comparer)).ToArray();
        var probabilities = new float[labels.Length];
        head.Probabilities.CopyTo(probabilities, 0);

        var key = CorrectionsFile.Key(text);
        if (entries.LastOrDefault(e => e.Key == key) is { } own)
        {
            Array.Clear(probabilities);
            probabilities[ClassNames.IndexOf(labels, own.Label)] = 1f;
            return Result(head, labels, probabilities, byUser: true);
        }
        if (vector is null) return Result(head, labels, probabilities, byUser: false);

        var unit = Normalised(vector);
        var corrections = new (int Label, float Similarity)[entries.Length];
        for (int i = 0; i < entries.Length; i++) corrections[i] = (ClassNames.IndexOf(labels, entries[i].Label), Dot(unit, entries[i].Vector));
        BlendInto(probabilities, corrections, Blend);
        return Result(head, labels, probabilities, byUser: false);
    }

    /// <summary>
    /// The rule itself: <paramref name="probabilities"/> (the head's, over the labels the corrections index into) blended
    /// in place with the vote of the corrected texts at least <see cref="BlendSettings.MinSimilarity"/> similar, the
    /// <see cref="BlendSettings.Neighbours"/> most similar of them, each weighted by a softmax of its similarity at
    /// <see cref="BlendSettings.Temperature"/>; the vote weighs up to <see cref="BlendSettings.MaxWeight"/>, rising with the
    /// best similarity from min to full. Public so that the bench tunes the very rule the product applies.
    /// </summary>
    public static void BlendInto(float[] probabilities, ReadOnlySpan<(int Label, float Similarity)> corrections, BlendSettings blend)
    {
        var nearest = new List<(int Label, float Similarity)>(Math.Min(blend.Neighbours, corrections.Length));
        foreach (var c in corrections)
        {
            if (c.Similarity < blend.MinSimilarity) continue;
            if (nearest.Count == blend.Neighbours)
            {
                if (c.Similarity <= nearest[^1].Similarity) continue; // ties: the earlier correction stays
                nearest.RemoveAt(nearest.Count - 1);
            }
            int at = nearest.Count;
            while (at > 0 && nearest[at - 1].Similarity < c.Similarity) at--;
            nearest.Insert(at, c);
        }
        if (nearest.Count == 0) return;
        var vote = new float[probabilities.Length];
        float best = nearest[0].Similarity, total = 0;
        foreach (var (label, similarity) in nearest)
        {
            float weight = MathF.Exp((similarity - best) / blend.Temperature);
            vote[label] += weight;
            total += weight;
        }
        float alpha = blend.MaxWeight * Math.Clamp((best - blend.MinSimilarity) / (blend.FullSimilarity - blend.MinSimilarity), 0f, 1f);
        for (int c = 0; c < probabilities.Length; c++) probabilities[c] = (1 - alpha) * probabilities[c] + alpha * vote[c] / total;
    }

    private static Prediction Result(Prediction head, string[] labels, float[] probabilities, bool byUser)
    {
        int best = Metrics.ArgMax(probabilities);
        return new Prediction(labels[best], best, probabilities, labels, head.Truncated, head.TokenCount) { ByUser = byUser };
    }

    internal static float Dot(float[] a, float[] b)
    {
        float sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    internal static float[] Normalised(float[] vector)
    {
        float norm = MathF.Sqrt(Dot(vector, vector));
        return norm > 0 ? vector.Select(v => v / norm).ToArray() : (float[])vector.Clone();
    }
}

/// <summary>A text the head is least sure of: its place among the texts asked about, its prediction and its margin.</summary>
public sealed record Suggestion(int Index, Prediction Prediction, float Margin);

/// <summary>
/// Which texts teach most when labelled: the ones whose two most probable classes are closest (smallest margin),
/// near-duplicates collapsed (only the first of texts more similar than <see cref="TeachingSettings.NearDuplicate"/>), and
/// texts the user already labelled left out.
/// </summary>
public static class Suggestions
{
    public static float Margin(Prediction prediction)
    {
        var sorted = prediction.Probabilities.OrderDescending().ToArray();
        return sorted.Length < 2 ? 1f : sorted[0] - sorted[1];
    }

    public static IReadOnlyList<Suggestion> Rank(IReadOnlyList<Prediction> predictions, IReadOnlyList<float[]> vectors, int max)
    {
        var kept = new List<(Suggestion Suggestion, float[] Unit)>();
        foreach (var i in Enumerable.Range(0, predictions.Count).Where(i => !predictions[i].ByUser)
                     .OrderBy(i => Margin(predictions[i])).ThenBy(i => i))
        {
            if (kept.Count >= max) break;
            var unit = CorrectionMemory.Normalised(vectors[i]);
            if (kept.Any(k => CorrectionMemory.Dot(k.Unit, unit) >= TeachingSettings.NearDuplicate)) continue;
            kept.Add((new Suggestion(i, predictions[i], Margin(predictions[i])), unit));
        }
        return kept.Select(k => k.Suggestion).ToList();
    }
}
