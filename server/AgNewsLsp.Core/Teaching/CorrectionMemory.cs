using AgNewsLsp.Data;
using AgNewsLsp.Engine;
using AgNewsLsp.Evaluation;

namespace AgNewsLsp.Teaching;

/// <summary>
/// How corrections change labels: the rule's constants, chosen on validation rows drawn from the training files by the
/// bench's teach section (README, Teach in place, has the rule and the grid), never on the test split.
/// </summary>
public static class TeachingSettings
{
    /// <summary>Corrected texts less similar than this (cosine of mean-pooled sentence vectors) do not move a label.</summary>
    public const float MinSimilarity = 0.7f;
    /// <summary>From this similarity up, the corrections' vote has its full weight.</summary>
    public const float FullSimilarity = 0.85f;
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
    /// <summary>
    /// The correction layer's pull towards the head (L2 on its weights): the larger, the more corrections it takes to move a
    /// label away from the head's. 0: no layer, the nearest-neighbour vote alone.
    /// </summary>
    public const float LayerPull = 1f;
    /// <summary>
    /// How much harder than the weights the layer's biases are pulled: a bias moves a class for every text at once, which
    /// a few corrections must not do.
    /// </summary>
    public const float LayerBiasPull = 100f;
    /// <summary>The probability a class the head lacks starts from in the correction layer, before its examples' evidence.</summary>
    public const float NewClassPrior = 0.01f;
    /// <summary>
    /// The weight, against a correction's 1, of each text the head labelled (the user's other texts,
    /// <see cref="BackgroundTexts"/> at most) in the layer's fit once a class is new: each says it is of no new class. What
    /// stops corrections that all name one new class from pulling every text into it.
    /// </summary>
    public const float BackgroundWeight = 2f;
    /// <summary>The most recent texts the head labelled that the layer keeps as they are (its background).</summary>
    public const int BackgroundTexts = 1000;
    /// <summary>
    /// A new class enters the layer only once this many texts the head labelled are known; until then the vote alone
    /// teaches it.
    /// </summary>
    public const int MinBackground = 100;
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
        (MinSimilarity, FullSimilarity, MaxWeight, Neighbours, Temperature) =
            (minSimilarity, fullSimilarity, maxWeight, neighbours, temperature);
    }

    public static BlendSettings Default { get; } = new(TeachingSettings.MinSimilarity, TeachingSettings.FullSimilarity,
        TeachingSettings.MaxWeight, TeachingSettings.Neighbours, TeachingSettings.Temperature);

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
        FormattableString.Invariant(
            $"min {MinSimilarity:0.###}, full {FullSimilarity:0.###}, weight {MaxWeight:0.###}, k {Neighbours}, T {Temperature:0.###}");
}

/// <summary>
/// What the user taught, in memory: each corrected text's label, its sentence vector (the encoder's mean pooling, unit
/// length) and what the head said of it. A corrected text is shown with its label at once, marked as the user's. Any
/// other text's prediction is the head's, corrected by a <see cref="CorrectionLayer"/> fitted to every correction (a
/// linear layer over sentence vectors added to the head's log-probabilities, pulled towards the head), then blended
/// with the labels of the corrected texts most like it (a nearest-neighbour vote, for near-copies of a corrected text).
/// A label the head does not know is a new class: it gets a probability of its own beside the head's classes.
/// Why this and not a retrained head: it learns in milliseconds (no training run, no swap), it works with any head and
/// no base data on disk, and the pull keeps texts unlike the corrections at the head's label, so it does not forget
/// what the head knew (README, Teach in place, has the measurements and why the layer joined the vote). Thread-safe:
/// readers see one consistent state without waiting; a change refits the layer before it is seen.
/// </summary>
public sealed class CorrectionMemory
{
    /// <param name="Head">The head's probabilities for the text when it was corrected (null: unknown; not in the layer's fit).</param>
    private sealed record Entry(string Key, string Label, float[] Vector, float[]? Head, IReadOnlyList<string>? HeadLabels);

    /// <summary>
    /// Everything a prediction reads, replaced whole on every change. <see cref="LayerHeadLabels"/>: the head classes the
    /// layer was fitted over (then <see cref="NewLabels"/>); a head with other classes gets no layer.
    /// </summary>
    /// <see cref="RefitAtBackground"/>: when a class is new and the background is short of
    /// <see cref="TeachingSettings.MinBackground"/> usable texts, how many background texts would make up for it (0: none
    /// awaited); the layer is refitted once there are that many.
    private sealed record State(Entry[] Entries, int Version, string[] NewLabels, CorrectionLayer? Layer,
        IReadOnlyList<string>? LayerHeadLabels, int RefitAtBackground = 0)
    {
        /// <summary>The labels taught, each once, in the order first taught (as first spelled).</summary>
        public string[] Labels { get; } = Entries.Select(e => e.Label).Distinct(ClassNames.Comparer).ToArray();

        /// <summary>The entries by text key (one per text: a correction of the same text replaces the entry).</summary>
        public Dictionary<string, Entry> ByKey { get; } = Entries.ToDictionary(e => e.Key, StringComparer.Ordinal);
    }

    private readonly Lock _gate = new();
    private volatile State _state = new([], 0, [], null, null);

    /// <summary>A text the head labelled: what the layer keeps it as (its background), by text, the most recent last.</summary>
    private sealed record Seen(float[] Vector, float[] Head, IReadOnlyList<string> HeadLabels);

    private readonly Lock _backgroundGate = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, Seen Seen)>> _background = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, Seen Seen)> _backgroundOrder = new();

    public CorrectionMemory() : this(BlendSettings.Default, LayerSettings.Default)
    {
    }

    public CorrectionMemory(BlendSettings blend) : this(blend, LayerSettings.Default)
    {
    }

    public CorrectionMemory(BlendSettings blend, LayerSettings layer)
    {
        Blend = blend;
        Layer = layer;
    }

    /// <summary>How similar corrected texts move a prediction.</summary>
    public BlendSettings Blend { get; }

    /// <summary>How the correction layer is fitted.</summary>
    public LayerSettings Layer { get; }

    public int Count => _state.Entries.Length;

    /// <summary>
    /// Changes with every correction added or removed, and when a new class's layer is fitted once its background is there:
    /// what was computed with an older version is stale.
    /// </summary>
    public int Version => _state.Version;

    /// <summary>Gradient steps of the layer's last fit (0: no layer); for the bench.</summary>
    public int LayerSteps => _state.Layer?.Steps ?? 0;

    /// <summary>Texts the head labelled that the next fit keeps as they are.</summary>
    public int BackgroundCount
    {
        get { lock (_backgroundGate) return _background.Count; }
    }

    /// <summary>
    /// Texts the head labelled, with their sentence vectors: the layer's background, the most recent
    /// <see cref="TeachingSettings.BackgroundTexts"/> of them. The next correction's fit uses them; labels change here only
    /// when a new class was waiting for them (<see cref="TeachingSettings.MinBackground"/>).
    /// </summary>
    public void Observe(IReadOnlyList<string> texts, IReadOnlyList<Prediction> head, IReadOnlyList<float[]> vectors)
    {
        if (Layer.Off) return;
        lock (_backgroundGate)
            for (int i = 0; i < texts.Count; i++)
            {
                if (head[i].ByUser) continue;
                var key = CorrectionsFile.Key(texts[i]);
                if (_background.Remove(key, out var node)) _backgroundOrder.Remove(node);
                _background[key] = _backgroundOrder.AddLast((key,
                    new Seen(Normalised(vectors[i]), head[i].Probabilities, head[i].LabelNames)));
                if (_background.Count > TeachingSettings.BackgroundTexts)
                {
                    _background.Remove(_backgroundOrder.First!.Value.Key);
                    _backgroundOrder.RemoveFirst();
                }
            }
        // Corrections that named a new class before there was background to learn it against (a corrections file loaded
        // at start): fitted now, not only at the next correction.
        if (_state.RefitAtBackground is > 0 and var refitAt && BackgroundCount >= refitAt)
            lock (_gate)
                if (_state.RefitAtBackground is > 0 and var stillAt && BackgroundCount >= stillAt) Publish([.. _state.Entries]);
    }

    /// <summary>Adds a corrected text (or relabels it), with its sentence vector (any length: it is normalised here).</summary>
    public void Set(string text, string label, float[] vector) => SetRange([(text, label, vector, null)]);

    /// <summary>
    /// As <see cref="Set(string, string, float[])"/>, with the head's prediction of the text (what the layer learns
    /// from).
    /// </summary>
    public void Set(string text, string label, float[] vector, Prediction head) => SetRange([(text, label, vector, head)]);

    /// <summary>Adds several corrections and refits once (loading a corrections file).</summary>
    public void SetRange(IEnumerable<(string Text, string Label, float[] Vector, Prediction? Head)> corrections)
    {
        lock (_gate)
        {
            var entries = _state.Entries.ToList();
            foreach (var (text, label, vector, head) in corrections)
            {
                var key = CorrectionsFile.Key(text);
                entries.RemoveAll(e => e.Key == key);
                entries.Add(new Entry(key, label, Normalised(vector), head?.Probabilities, head?.LabelNames));
            }
            Publish(entries);
        }
    }

    public bool Remove(string text)
    {
        var key = CorrectionsFile.Key(text);
        lock (_gate)
        {
            var entries = _state.Entries.ToList();
            if (entries.RemoveAll(e => e.Key == key) == 0) return false;
            Publish(entries);
            return true;
        }
    }

    /// <summary>
    /// The new state: the layer refitted (from the last fit) over the corrections made with the latest head's classes and,
    /// when some name a class that head lacks, the background texts it labelled (none of them corrected), once there are
    /// enough of those.
    /// </summary>
    private void Publish(List<Entry> entries)
    {
        var old = _state;
        var headLabels = entries.LastOrDefault(e => e.HeadLabels is not null)?.HeadLabels;
        var newLabels = Beyond(entries.Select(e => e.Label).Distinct(ClassNames.Comparer), headLabels ?? []);
        CorrectionLayer? layer = null;
        int refitAtBackground = 0;
        if (headLabels is not null && !Layer.Off)
        {
            string[] labels = [.. headLabels, .. newLabels];
            bool SameHead(IReadOnlyList<string>? names) => names is not null && names.SequenceEqual(headLabels, ClassNames.Comparer);
            var corrections = entries.Where(e => e.Head is not null && SameHead(e.HeadLabels))
                .Select(e => (e.Vector, e.Head!, ClassNames.IndexOf(labels, e.Label))).ToArray();
            Seen[] background = [];
            int observed = 0;
            if (newLabels.Length > 0 && Layer.BackgroundWeight > 0)
            {
                var corrected = entries.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
                lock (_backgroundGate)
                {
                    background = _backgroundOrder.Where(b => !corrected.Contains(b.Key) && SameHead(b.Seen.HeadLabels))
                        .Select(b => b.Seen).ToArray();
                    observed = _background.Count;
                }
            }
            var plan = LayerExamples(corrections, background.Select(b => (b.Vector, b.Head)).ToArray(), headLabels.Count,
                labels.Length, Layer);
            if (plan.AwaitsBackground) refitAtBackground = observed + TeachingSettings.MinBackground - background.Length;
            if (plan.Examples.Length > 0)
            {
                // A warm start only from a fit over the same classes in the same order (a class may have been added at the end).
                var start = old.Layer is not null && SameHead(old.LayerHeadLabels)
                    && old.NewLabels.SequenceEqual(newLabels.Take(old.NewLabels.Length), ClassNames.Comparer) ? old.Layer : null;
                layer = CorrectionLayer.Fit(plan.Examples, plan.Classes, headLabels.Count, Layer.Pull, start);
            }
        }
        _state = new State([.. entries], old.Version + 1, newLabels, layer, layer is null ? null : headLabels, refitAtBackground);
    }

    /// <summary>What the layer is fitted to, and over how many classes (see <see cref="LayerExamples"/>).</summary>
    /// <param name="AwaitsBackground">A class is new and there is too little background to learn it against yet.</param>
    public sealed record LayerPlan(LayerExample[] Examples, int Classes, bool AwaitsBackground);

    /// <summary>
    /// The rule for what the layer learns from, public so that the bench replays the very rule: the corrections (unit
    /// vector, the head's probabilities, the label's index over the head's <paramref name="headClasses"/> classes then the
    /// new ones, <paramref name="classes"/> in all) and, once a class is new, the background (texts the head labelled,
    /// none of them corrected) at <see cref="LayerSettings.BackgroundWeight"/>. A class the head lacks is learnt only
    /// against <see cref="TeachingSettings.MinBackground"/> such texts at least; until then the corrections of the head's
    /// own classes are learnt alone, and the new class has the near-copy vote. No examples: nothing to fit.
    /// </summary>
    public static LayerPlan LayerExamples(IReadOnlyList<(float[] Unit, float[] Head, int Label)> corrections,
        IReadOnlyList<(float[] Unit, float[] Head)> background, int headClasses, int classes, LayerSettings layer)
    {
        bool learnsBackground = classes > headClasses && layer.BackgroundWeight > 0;
        LayerExample Example(float[] unit, float[] head, int label, float weight, int over) =>
            new(unit, CorrectionLayer.Offsets(head, over, layer.NewClassPrior), label, weight);
        if (learnsBackground && background.Count < TeachingSettings.MinBackground)
            return new(corrections.Where(c => c.Label < headClasses).Select(c => Example(c.Unit, c.Head, c.Label, 1f, headClasses))
                .ToArray(), headClasses, AwaitsBackground: true);
        return new([
            .. corrections.Select(c => Example(c.Unit, c.Head, c.Label, 1f, classes)),
            .. learnsBackground
                ? background.Select(b => Example(b.Unit, b.Head, LayerExample.Background, layer.BackgroundWeight, classes))
                : [],
        ], classes, AwaitsBackground: false);
    }

    /// <summary>The label a person gave this very text, or null.</summary>
    public string? LabelOf(string text)
    {
        var key = CorrectionsFile.Key(text);
        return _state.ByKey.GetValueOrDefault(key)?.Label;
    }

    /// <summary>Corrections per label, as the user spelled them (the first spelling of a class).</summary>
    public IReadOnlyDictionary<string, int> CountsByLabel() =>
        _state.Entries.GroupBy(e => e.Label, ClassNames.Comparer).ToDictionary(g => g.First().Label, g => g.Count(), ClassNames.Comparer);

    /// <summary>The classes corrections name that <paramref name="known"/> lacks, in the order they were first taught.</summary>
    public IReadOnlyList<string> NewClasses(IReadOnlyList<string> known) => Beyond(_state.Labels, known);

    /// <summary>The labels of <paramref name="labels"/> that <paramref name="known"/> lacks, in their order.</summary>
    private static string[] Beyond(IEnumerable<string> labels, IReadOnlyList<string> known) =>
        labels.Where(l => ClassNames.IndexOf(known, l) < 0).ToArray();

    /// <summary>
    /// The prediction with what was taught: the user's own label for a corrected text; else the head's probabilities
    /// (over its classes and any new ones) corrected by the layer, then blended with the vote of the most similar
    /// corrected texts. <paramref name="vector"/>: the text's sentence vector (null: neither, only an exact match counts).
    /// </summary>
    public Prediction Apply(Prediction head, string text, float[]? vector)
    {
        var state = _state;
        var entries = state.Entries;
        if (entries.Length == 0) return head;
        string[] labels = [.. head.LabelNames, .. Beyond(state.Labels, head.LabelNames)];
        var probabilities = new float[labels.Length];
        head.Probabilities.CopyTo(probabilities, 0);

        var key = CorrectionsFile.Key(text);
        if (state.ByKey.GetValueOrDefault(key) is { } own)
        {
            Array.Clear(probabilities);
            probabilities[ClassNames.IndexOf(labels, own.Label)] = 1f;
            return Result(head, labels, probabilities, byUser: true);
        }
        if (vector is null) return Result(head, labels, probabilities, byUser: false);

        var unit = Normalised(vector);
        if (state.Layer is { } layer && state.LayerHeadLabels!.SequenceEqual(head.LabelNames, ClassNames.Comparer)
            && labels.Skip(head.LabelNames.Count).SequenceEqual(state.NewLabels, ClassNames.Comparer))
            layer.Apply(probabilities, head.LabelNames.Count, unit, Layer.NewClassPrior);
        var corrections = new (int Label, float Similarity)[entries.Length];
        for (int i = 0; i < entries.Length; i++)
            corrections[i] = (ClassNames.IndexOf(labels, entries[i].Label), Dot(unit, entries[i].Vector));
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

    /// <summary>The dot product the memory's similarities use (public: the bench's replay must agree to the bit).</summary>
    public static float Dot(float[] a, float[] b)
    {
        float sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>The vector at unit length, as the memory keeps it.</summary>
    public static float[] Normalised(float[] vector)
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
