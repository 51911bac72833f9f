using AgNewsLsp.Data;
using AgNewsLsp.Engine;

namespace AgNewsLsp.Teaching;

/// <summary>A class a correction taught that the head does not know, and how many corrections it has.</summary>
public sealed record NewClass(string Label, int Examples)
{
    /// <summary>So few examples make the class weak: said to the user with the result.</summary>
    public bool Weak => Examples < TeachingSettings.FewExamples;
}

/// <summary>What a correction (or its undo) did: the row, the row it replaced, and the classes beyond the head's.</summary>
public sealed record TeachResult(Correction Correction, Correction? Replaced, IReadOnlyList<NewClass> NewClasses, int Corrections);

/// <summary>What loading a corrections file found: the corrections now taught from it, and a warning (a torn last line).</summary>
public sealed record CorrectionsLoaded(string Path, int Corrections, IReadOnlyList<NewClass> NewClasses, string? Warning);

/// <summary>
/// Teaching in place: corrections written to the user's dataset (<see cref="CorrectionsFile"/>) and held in the
/// <see cref="CorrectionMemory"/> that <see cref="TaughtEngine"/> applies to every prediction; undo; and suggestions of
/// what to label next. Sentence vectors and the head's predictions come from the engine it teaches.
/// <paramref name="blend"/> and <paramref name="layer"/>: how corrections move other texts' labels (null: the defaults,
/// from <see cref="TeachingSettings"/>).
/// </summary>
public sealed class Teacher(ILabelingEngine engine, BlendSettings? blend = null, LayerSettings? layer = null)
{
    /// <summary>
    /// The head's predictions and sentence vectors from the very pass that classifies (and caches) texts, so a corrected
    /// text and a text it is compared with are always measured alike; the prediction is what the correction layer corrects,
    /// and names the head's classes (kept for <see cref="HeadLabels"/>).
    /// </summary>
    private (IReadOnlyList<Prediction> Predictions, IReadOnlyList<float[]> Vectors) HeadsAndVectors(IReadOnlyList<string> texts,
        CancellationToken cancellationToken)
    {
        if (texts.Count == 0) return ([], []);
        var (predictions, vectors) = engine.ClassifyWithSentenceVectors(texts, cancellationToken);
        _headLabels = predictions[0].LabelNames;
        return (predictions, vectors);
    }

    private volatile IReadOnlyList<string>? _headLabels;

    /// <summary>The served head's classes, as the last prediction named them (the status only before any).</summary>
    private IReadOnlyList<string> HeadLabels() => _headLabels ?? engine.GetStatus().LabelNames ?? [];

    private readonly Lock _gate = new();
    /// <summary>Per corrections file: what each correction of this process replaced, newest last (what undo puts back).</summary>
    private readonly Dictionary<string, Stack<(Correction Added, Correction? Replaced)>> _undo = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Length, DateTime Written)> _loaded = new(StringComparer.Ordinal);

    /// <summary>What was taught, as classifying applies it.</summary>
    public CorrectionMemory Memory { get; } = new(blend ?? BlendSettings.Default, layer ?? LayerSettings.Default);

    /// <summary>
    /// Reads a corrections file into the memory (the texts' vectors from the feature cache, else one encoder pass).
    /// Again for the same file only when it changed on disk since.
    /// </summary>
    public CorrectionsLoaded Load(string path, CancellationToken cancellationToken = default)
    {
        path = Path.GetFullPath(path);
        var read = CorrectionsFile.Read(path);
        var stamp = StampOf(path);
        lock (_gate)
            if (_loaded.TryGetValue(path, out var seen) && seen == stamp)
                return new CorrectionsLoaded(path, read.Rows.Count, NewClasses(), read.Warning);
        var (heads, rowVectors) = HeadsAndVectors(read.Rows.Select(r => r.Text).ToArray(), cancellationToken);
        lock (_gate)
        {
            if (read.Rows.Count > 0) Memory.SetRange(read.Rows.Select((r, i) => (r.Text, r.Label, rowVectors[i], (Prediction?)heads[i])));
            _loaded[path] = stamp;
        }
        return new CorrectionsLoaded(path, read.Rows.Count, NewClasses(), read.Warning);
    }

    /// <summary>
    /// A person labels a text: appended to the corrections file (one row per text, the last label winning) and taught
    /// at once, so the text shows its label from now on and similar texts follow. A label the head lacks is a new class.
    /// </summary>
    public TeachResult Teach(string path, Correction correction, CancellationToken cancellationToken = default)
    {
        path = Path.GetFullPath(path);
        if (string.IsNullOrWhiteSpace(correction.Text)) throw new ArgumentException("A correction needs a text.");
        if (string.IsNullOrWhiteSpace(correction.Label)) throw new ArgumentException("A correction needs a label.");
        // The class as the head or an earlier correction spells it: "business" teaches Business.
        var known = HeadLabels().Concat(Memory.CountsByLabel().Keys).ToList();
        var label = known.FirstOrDefault(l => ClassNames.Comparer.Equals(l, correction.Label.Trim())) ?? correction.Label.Trim();
        correction = correction with { Label = label };
        var (heads, vectors) = HeadsAndVectors([correction.Text], cancellationToken);
        lock (_gate)
        {
            var replaced = CorrectionsFile.Add(path, correction);
            Memory.Set(correction.Text, correction.Label, vectors[0], heads[0]);
            UndoStack(path).Push((correction, replaced));
            _loaded[path] = StampOf(path); // our own write is not a change to load again
            return new TeachResult(correction, replaced, NewClasses(), Memory.Count);
        }
    }

    /// <summary>Takes back the last correction of a file: its row removed, and the row it replaced (if this process saw it) back.</summary>
    public TeachResult? Undo(string path, CancellationToken cancellationToken = default)
    {
        path = Path.GetFullPath(path);
        lock (_gate)
        {
            var stack = UndoStack(path);
            var replaced = stack.Count > 0 ? stack.Pop().Replaced : null;
            var removed = CorrectionsFile.RemoveLast(path, replaced);
            if (removed is null) return null;
            // A relabel undone puts the earlier label back in one change (Set replaces the text's entry: one refit, and no
            // reader sees the text unlabelled in between); anything else is removed.
            if (replaced is not null && CorrectionsFile.Key(replaced.Text) == CorrectionsFile.Key(removed.Text))
            {
                var (heads, vectors) = HeadsAndVectors([replaced.Text], cancellationToken);
                Memory.Set(replaced.Text, replaced.Label, vectors[0], heads[0]);
            }
            else Memory.Remove(removed.Text);
            _loaded[path] = StampOf(path);
            return new TeachResult(removed, replaced, NewClasses(), Memory.Count);
        }
    }

    /// <summary>The texts the head is least sure of, most useful first (see <see cref="Suggestions"/>).</summary>
    public IReadOnlyList<Suggestion> Suggest(IReadOnlyList<string> texts, int max, CancellationToken cancellationToken = default)
    {
        if (texts.Count == 0) return [];
        var (heads, textVectors) = HeadsAndVectors(texts, cancellationToken);
        Memory.Observe(texts, heads, textVectors);
        var predictions = heads.Select((p, i) => Memory.Apply(p, texts[i], textVectors[i])).ToArray();
        return Suggestions.Rank(predictions, textVectors, max);
    }

    /// <summary>The classes taught beyond the head's, with their corrections.</summary>
    public IReadOnlyList<NewClass> NewClasses()
    {
        var counts = Memory.CountsByLabel();
        return Memory.NewClasses(HeadLabels()).Select(l => new NewClass(l, counts[l])).ToList();
    }

    private Stack<(Correction Added, Correction? Replaced)> UndoStack(string path)
    {
        if (!_undo.TryGetValue(path, out var stack)) _undo[path] = stack = new();
        return stack;
    }

    private static (long, DateTime) StampOf(string path) =>
        File.Exists(path) ? (new FileInfo(path).Length, File.GetLastWriteTimeUtc(path)) : (0L, DateTime.MinValue);
}
