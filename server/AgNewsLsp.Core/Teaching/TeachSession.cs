using AgNewsLsp.Engine;

namespace AgNewsLsp.Teaching;

/// <summary>What one key asks of a teaching session (<c>agnews teach</c>).</summary>
public enum TeachAction
{
    /// <summary>A digit: the class of that number.</summary>
    Label,
    /// <summary>Enter: the guess is right.</summary>
    Accept,
    /// <summary>n: a class the list lacks (its name is asked for).</summary>
    NewClass,
    /// <summary>s: leave this paragraph for now.</summary>
    Skip,
    /// <summary>u: back to the last paragraph answered, its label taken back.</summary>
    Undo,
    /// <summary>q: stop.</summary>
    Quit,
    /// <summary>Any other key: nothing happens but a reminder of the keys.</summary>
    Unknown,
}

/// <summary>A key as a teaching session reads it.</summary>
public readonly record struct TeachKey(TeachAction Action, int ClassIndex = -1)
{
    /// <summary>Classes a digit can pick (1-9); the others are reached by typing their name after n.</summary>
    public const int DigitClasses = 9;

    /// <summary>
    /// The key typed (its character; Enter is '\r' or '\n') with <paramref name="classCount"/> classes on show: 1-9 pick a
    /// class that exists, Enter accepts, n new class, s skip, u undo, q quit (either case); anything else is
    /// <see cref="TeachAction.Unknown"/>.
    /// </summary>
    public static TeachKey Of(char key, int classCount) => key switch
    {
        >= '1' and <= '9' when key - '1' < Math.Min(classCount, DigitClasses) => new(TeachAction.Label, key - '1'),
        '\r' or '\n' => new(TeachAction.Accept),
        'n' or 'N' => new(TeachAction.NewClass),
        's' or 'S' => new(TeachAction.Skip),
        'u' or 'U' => new(TeachAction.Undo),
        'q' or 'Q' => new(TeachAction.Quit),
        _ => new(TeachAction.Unknown),
    };
}

/// <summary>
/// What a teaching session teaches: suggestions over texts, a correction written and learnt, the last one taken back.
/// <see cref="TeacherTarget"/> is the real one (a <see cref="Teacher"/> and its dataset); tests give a fake.
/// </summary>
public interface ITeachTarget
{
    /// <summary>The texts the labeler is least sure of, most useful first; texts labelled by the user left out.</summary>
    IReadOnlyList<Suggestion> Suggest(IReadOnlyList<string> texts, int max);

    /// <summary>Whether the user has labelled this very text (now or before this session).</summary>
    bool IsLabelled(string text);

    TeachResult Teach(Correction correction);

    /// <summary>Takes back the last correction written; null when there is none.</summary>
    TeachResult? Undo();

    /// <summary>Classes taught beyond the head's, with their corrections.</summary>
    IReadOnlyList<NewClass> NewClasses();
}

/// <summary>A session teaching a <see cref="Teacher"/>: corrections go to <paramref name="dataset"/> as they are given.</summary>
public sealed class TeacherTarget(Teacher teacher, string dataset, CancellationToken cancellationToken = default) : ITeachTarget
{
    public string Dataset { get; } = Path.GetFullPath(dataset);

    public IReadOnlyList<Suggestion> Suggest(IReadOnlyList<string> texts, int max) => teacher.Suggest(texts, max, cancellationToken);

    public bool IsLabelled(string text) => teacher.Memory.LabelOf(text) is not null;

    public TeachResult Teach(Correction correction) => teacher.Teach(Dataset, correction, cancellationToken);

    public TeachResult? Undo() => teacher.Undo(Dataset, cancellationToken);

    public IReadOnlyList<NewClass> NewClasses() => teacher.NewClasses();
}

/// <summary>The paragraph on show: which one, the labeler's prediction for it (its guess first), and how far the session is.</summary>
public sealed record TeachStep(int Item, CandidateParagraph Paragraph, Prediction Prediction, int Answered, int Left)
{
    /// <summary>The classes in the order of their digits (1 is the first): the prediction's, the head's then the new ones.</summary>
    public IReadOnlyList<string> Classes => Prediction.LabelNames;
}

/// <summary>What a key did, in a line for the person; Quit: the session is over.</summary>
public sealed record TeachOutcome(string Message, bool Quit = false);

/// <summary>What a session did: its corrections (Accepted: the guess kept), by label; skips; the classes beyond the head's.</summary>
public sealed record TeachSummary(int Labelled, int Accepted, int Skipped, IReadOnlyList<(string Label, int Count)> ByLabel,
    IReadOnlyList<NewClass> NewClasses, int NotSeen);

/// <summary>
/// The key loop of <c>agnews teach</c>, without the terminal: one paragraph at a time, the one the labeler is least sure of
/// among those not yet answered (ranked again after every answer, since every answer teaches), and what each key does.
/// Every label goes through the target at once (the dataset is written as the session goes); undo goes back one answer,
/// a label or a skip, and shows that paragraph again.
/// </summary>
public sealed class TeachSession
{
    private readonly IReadOnlyList<CandidateParagraph> _paragraphs;
    private readonly ITeachTarget _target;
    private readonly Func<DateTimeOffset> _clock;
    private readonly Dictionary<int, (string Label, bool Accepted)> _labelled = [];
    private readonly HashSet<int> _skipped = [];
    private readonly Stack<int> _answers = new();
    private int? _again;

    public TeachSession(IReadOnlyList<CandidateParagraph> paragraphs, ITeachTarget target, Func<DateTimeOffset>? clock = null)
    {
        _paragraphs = paragraphs;
        _target = target;
        _clock = clock ?? (() => DateTimeOffset.UtcNow);
        Advance();
    }

    /// <summary>The paragraph on show; null when none is left to label.</summary>
    public TeachStep? Current { get; private set; }

    /// <summary>Answers the paragraph on show with a key (for n, <paramref name="newLabel"/> is the name typed), then moves on.</summary>
    public TeachOutcome Handle(TeachKey key, string? newLabel = null)
    {
        if (key.Action == TeachAction.Quit) return new TeachOutcome("", Quit: true);
        if (key.Action == TeachAction.Undo) return Undo();
        if (Current is not { } step) return new TeachOutcome("Nothing left to label: q quits, u takes the last answer back.");
        switch (key.Action)
        {
            case TeachAction.Label when key.ClassIndex >= 0 && key.ClassIndex < step.Classes.Count:
                return Label(step, step.Classes[key.ClassIndex]);
            case TeachAction.Accept:
                return Label(step, step.Prediction.Label);
            case TeachAction.NewClass:
                return string.IsNullOrWhiteSpace(newLabel)
                    ? new TeachOutcome("No name given: nothing labelled.")
                    : Label(step, newLabel.Trim());
            case TeachAction.Skip:
                _skipped.Add(step.Item);
                _answers.Push(step.Item);
                Advance();
                return new TeachOutcome($"Skipped {Where(step.Paragraph)}.");
            default:
                return new TeachOutcome(KeysHelp(step));
        }
    }

    /// <summary>The keys, for a key that is none of them.</summary>
    public static string KeysHelp(TeachStep step) =>
        $"Keys: {(step.Classes.Count == 1 ? "1" : $"1-{Math.Min(step.Classes.Count, TeachKey.DigitClasses)}")} a class, Enter {step.Prediction.Label}, " +
        "n a new class, s skip, u undo, q quit.";

    private TeachOutcome Label(TeachStep step, string label)
    {
        TeachResult taught;
        try
        {
            taught = _target.Teach(new Correction(step.Paragraph.Text, label, step.Paragraph.Source, _clock()));
        }
        catch (ArgumentException e)
        {
            return new TeachOutcome($"Not labelled: {e.Message}");
        }
        var given = taught.Correction.Label;
        _labelled[step.Item] = (given, given == step.Prediction.Label);
        _answers.Push(step.Item);
        Advance();
        var message = $"{given}: {Where(step.Paragraph)}.";
        if (taught.NewClasses.FirstOrDefault(c => c.Label == given) is { } added)
            message += $" {given} is a new class with {Examples(added.Examples)}" +
                       (added.Weak ? $": few examples make it weak; label about {TeachingSettings.FewExamples} before trusting it." : ".");
        return new TeachOutcome(message);
    }

    private TeachOutcome Undo()
    {
        if (_answers.Count == 0) return new TeachOutcome("Nothing to undo in this session.");
        var item = _answers.Pop();
        string message;
        if (_skipped.Remove(item)) message = $"Back to the skipped {Where(_paragraphs[item])}.";
        else
        {
            var undone = _target.Undo();
            var label = _labelled[item].Label;
            _labelled.Remove(item);
            message = undone is null
                ? $"The dataset held no row to take back (it changed on disk?); {Where(_paragraphs[item])} is shown again."
                : $"Took back {label} for {Where(_paragraphs[item])}.";
        }
        _again = item;
        Advance();
        return new TeachOutcome(message);
    }

    /// <summary>
    /// The next paragraph: the one just taken back, else the one the labeler is least sure of now among those not
    /// answered in this session and not labelled by the user before.
    /// </summary>
    private void Advance()
    {
        if (_again is { } again)
        {
            _again = null;
            if (_target.Suggest([_paragraphs[again].Text], 1) is [var shown])
            {
                Current = Step(again, shown.Prediction, Open().Count);
                return;
            }
        }
        var open = Open();
        var best = open.Count == 0 ? [] : _target.Suggest(open.Select(i => _paragraphs[i].Text).ToList(), 1);
        Current = best is [var first] ? Step(open[first.Index], first.Prediction, open.Count) : null;
    }

    private TeachStep Step(int item, Prediction prediction, int left) =>
        new(item, _paragraphs[item], prediction, _labelled.Count + _skipped.Count, left);

    /// <summary>Paragraphs still to answer: not answered in this session, not labelled by the user before.</summary>
    private List<int> Open() => Enumerable.Range(0, _paragraphs.Count)
        .Where(i => !_labelled.ContainsKey(i) && !_skipped.Contains(i) && !_target.IsLabelled(_paragraphs[i].Text)).ToList();

    public TeachSummary Summary() => new(
        _labelled.Count,
        _labelled.Values.Count(v => v.Accepted),
        _skipped.Count,
        _labelled.Values.GroupBy(v => v.Label).Select(g => (g.Key, g.Count()))
            .OrderByDescending(x => x.Item2).ThenBy(x => x.Key, StringComparer.Ordinal).ToList(),
        _target.NewClasses(),
        Open().Count);

    public static string Examples(int n) => $"{n} example{(n == 1 ? "" : "s")}";

    /// <summary>"notes/a.md lines 3-5" (lines from 1, as editors number them).</summary>
    public static string Where(CandidateParagraph p) =>
        p.Block.StartLine == p.Block.EndLine
            ? $"{p.File} line {p.Block.StartLine + 1}"
            : $"{p.File} lines {p.Block.StartLine + 1}-{p.Block.EndLine + 1}";
}
