using AgNewsLsp.Data;
using AgNewsLsp.Engine;
using AgNewsLsp.Teaching;
using AgNewsLsp.Text;

namespace AgNewsLsp.Tests.Teaching;

/// <summary>
/// agnews teach's key loop without a terminal: which key does what, the least sure paragraph first and ranked again after
/// each answer, undo going back one answer (a label or a skip), and the summary.
/// </summary>
public class TeachSessionTests
{
    /// <summary>
    /// A labeler whose certainty of a text is given per text (its margin), and which learns: a text taught is labelled by
    /// the user, and every text whose first word is a taught text's first word then becomes sure (a crude "similar").
    /// </summary>
    private sealed class FakeTarget(Dictionary<string, float> margins) : ITeachTarget
    {
        public List<Correction> Rows { get; } = [];
        public int SuggestCalls { get; private set; }

        private Prediction Predict(string text)
        {
            var labels = AgNewsLabels.Names.Concat(Rows.Select(r => r.Label).Where(l => ClassNames.IndexOf(AgNewsLabels.Names, l) < 0).Distinct()).ToArray();
            var margin = Rows.Any(r => r.Text.Split(' ')[0] == text.Split(' ')[0]) ? 0.9f : margins[text];
            var p = new float[labels.Length];
            p[1] = (1 + margin) / 2; // Sports, ahead of World by the margin
            p[0] = (1 - margin) / 2;
            return new Prediction("Sports", 1, p, labels, false, 5) { ByUser = IsLabelled(text) };
        }

        public IReadOnlyList<Suggestion> Suggest(IReadOnlyList<string> texts, int max)
        {
            SuggestCalls++;
            return texts.Select((t, i) => (Prediction: Predict(t), i)).Where(x => !x.Prediction.ByUser)
                .OrderBy(x => Suggestions.Margin(x.Prediction)).Take(max)
                .Select(x => new Suggestion(x.i, x.Prediction, Suggestions.Margin(x.Prediction))).ToList();
        }

        public bool IsLabelled(string text) => Rows.Any(r => r.Text == text);

        public TeachResult Teach(Correction correction)
        {
            if (string.IsNullOrWhiteSpace(correction.Label)) throw new ArgumentException("A correction needs a label.");
            var known = AgNewsLabels.Names.FirstOrDefault(n => ClassNames.Comparer.Equals(n, correction.Label));
            correction = correction with { Label = known ?? correction.Label };
            Rows.Add(correction);
            return new TeachResult(correction, null, NewClasses(), Rows.Count);
        }

        public TeachResult? Undo()
        {
            if (Rows.Count == 0) return null;
            var last = Rows[^1];
            Rows.RemoveAt(Rows.Count - 1);
            return new TeachResult(last, null, NewClasses(), Rows.Count);
        }

        public IReadOnlyList<NewClass> NewClasses() => Rows.Where(r => ClassNames.IndexOf(AgNewsLabels.Names, r.Label) < 0)
            .GroupBy(r => r.Label).Select(g => new NewClass(g.Key, g.Count())).ToList();
    }

    private static readonly string[] Texts =
    [
        "Alpha sure text about football.", // 0: sure
        "Beta unsure text about markets.", // 1: least sure
        "Gamma middling text about space.", // 2
        "Beta unsure text about banks.", // 3: nearly as unsure as 1, and "similar" to it
    ];

    private static (TeachSession Session, FakeTarget Target) Start(params Correction[] earlier)
    {
        var target = new FakeTarget(new() { [Texts[0]] = 0.8f, [Texts[1]] = 0.05f, [Texts[2]] = 0.3f, [Texts[3]] = 0.1f });
        target.Rows.AddRange(earlier);
        var paragraphs = Texts.Select((t, i) => new CandidateParagraph("notes.md", new TextBlock(i, i * 40, t.Length, i * 2, i * 2, t))).ToList();
        return (new TeachSession(paragraphs, target, () => new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero)), target);
    }

    private static TeachKey Key(char c) => TeachKey.Of(c, 4);

    [Fact]
    public void Keys_mean_what_the_help_says()
    {
        Assert.Equal(new TeachKey(TeachAction.Label, 0), TeachKey.Of('1', 4));
        Assert.Equal(new TeachKey(TeachAction.Label, 3), TeachKey.Of('4', 4));
        Assert.Equal(TeachAction.Unknown, TeachKey.Of('5', 4).Action); // no fifth class
        Assert.Equal(TeachAction.Unknown, TeachKey.Of('0', 12).Action);
        Assert.Equal(new TeachKey(TeachAction.Label, 8), TeachKey.Of('9', 12)); // digits reach nine classes at most
        Assert.Equal(TeachAction.Accept, TeachKey.Of('\r', 4).Action);
        Assert.Equal(TeachAction.Accept, TeachKey.Of('\n', 4).Action);
        Assert.Equal([TeachAction.NewClass, TeachAction.Skip, TeachAction.Undo, TeachAction.Quit, TeachAction.NewClass],
            "nsuqN".Select(c => TeachKey.Of(c, 4).Action));
        Assert.Equal(TeachAction.Unknown, TeachKey.Of('x', 4).Action);
    }

    [Fact]
    public void The_least_sure_comes_first_and_the_order_is_ranked_again_after_each_answer()
    {
        var (session, target) = Start();
        Assert.Equal(1, session.Current!.Item);
        Assert.Equal(4, session.Current.Left);

        var outcome = session.Handle(Key('\r')); // accept: Sports
        Assert.Equal("Sports: notes.md line 3.", outcome.Message);
        Assert.Equal(("Sports", new Uri(Path.GetFullPath("notes.md")).AbsoluteUri, 2), (target.Rows[0].Label, target.Rows[0].Source!.Uri, target.Rows[0].Source!.StartLine));
        // 3 was next by its margin, but the answer taught that "Beta ..." texts are sure now: 2 comes first.
        Assert.Equal(2, session.Current!.Item);
        Assert.Equal((1, 3), (session.Current.Answered, session.Current.Left));
    }

    [Fact]
    public void A_digit_labels_with_that_class_and_n_with_a_new_one_said_to_be_weak()
    {
        var (session, target) = Start();
        session.Handle(Key('3')); // Business
        Assert.Equal("Business", target.Rows[^1].Label);

        Assert.Equal("No name given: nothing labelled.", session.Handle(Key('n'), "  ").Message);
        var before = session.Current;
        var outcome = session.Handle(Key('n'), " Culture ");
        Assert.Equal("Culture", target.Rows[^1].Label);
        Assert.Equal(before!.Paragraph.Text, target.Rows[^1].Text);
        Assert.Contains("Culture is a new class with 1 example: few examples make it weak", outcome.Message);
        Assert.Equal(5, session.Current!.Classes.Count); // the new class has a digit from now on
    }

    [Fact]
    public void Undo_goes_back_one_answer_a_label_or_a_skip_and_shows_that_paragraph_again()
    {
        var (session, target) = Start();
        Assert.Equal("Nothing to undo in this session.", session.Handle(Key('u')).Message);
        session.Handle(Key('2')); // 1: Sports
        var skipped = session.Current!.Item;
        Assert.StartsWith("Skipped notes.md line", session.Handle(Key('s')).Message);
        Assert.NotEqual(skipped, session.Current!.Item);

        Assert.StartsWith("Back to the skipped notes.md line", session.Handle(Key('u')).Message);
        Assert.Equal(skipped, session.Current!.Item);
        Assert.Single(target.Rows);

        Assert.Equal("Took back Sports for notes.md line 3.", session.Handle(Key('u')).Message);
        Assert.Empty(target.Rows);
        Assert.Equal(1, session.Current!.Item);
        Assert.Equal(0, session.Current.Answered);
    }

    [Fact]
    public void Quit_and_the_summary_count_what_the_session_did()
    {
        var (session, target) = Start();
        session.Handle(Key('\r')); // accepted
        Assert.StartsWith("Keys: 1-4 a class, Enter Sports", session.Handle(Key('x')).Message); // nothing else happens
        session.Handle(Key('1')); // changed: World
        session.Handle(Key('n'), "Culture");
        session.Handle(Key('s'));
        Assert.True(session.Handle(Key('q')).Quit);
        var summary = session.Summary();
        Assert.Equal((3, 1, 1, 0), (summary.Labelled, summary.Accepted, summary.Skipped, summary.NotSeen));
        Assert.Equal([("Culture", 1), ("Sports", 1), ("World", 1)], summary.ByLabel);
        Assert.Equal([new NewClass("Culture", 1)], summary.NewClasses);
        Assert.Equal(3, target.Rows.Count);
    }

    [Fact]
    public void Paragraphs_labelled_before_are_not_shown_and_the_session_ends_when_all_are_answered()
    {
        var (session, _) = Start(new Correction(Texts[1], "Business", null, DateTimeOffset.UnixEpoch)); // labelled in an earlier session
        var seen = new List<int>();
        while (session.Current is { } step)
        {
            seen.Add(step.Item);
            session.Handle(Key('\r'));
        }
        Assert.DoesNotContain(1, seen);
        Assert.Equal("Nothing left to label: q quits, u takes the last answer back.", session.Handle(Key('\r')).Message);
        session.Handle(Key('u'));
        Assert.NotNull(session.Current); // the last answer's paragraph is back
    }
}
