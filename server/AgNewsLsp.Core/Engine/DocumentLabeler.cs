using AgNewsLsp.Text;

namespace AgNewsLsp.Engine;

/// <summary>A labelled piece of a document: where it is and what it is.</summary>
public sealed record LabeledBlock(TextBlock Block, Prediction Prediction);

public sealed record DocumentLabels(Prediction? Document, IReadOnlyList<LabeledBlock> Blocks);

/// <summary>Labels a whole document and, when asked, each paragraph or line of it, in one encoder call.</summary>
public static class DocumentLabeler
{
    /// <summary>Blocks with fewer word characters than this carry too little signal to label.</summary>
    public const int MinimumWordCharacters = 3;

    public static bool HasEnoughText(string text) => text.Count(char.IsLetterOrDigit) >= MinimumWordCharacters;

    public static DocumentLabels Label(ILabelingEngine engine, string document, TextUnit unit,
        CancellationToken cancellationToken = default) =>
        LabelMany(engine, [document], unit, cancellationToken)[0];

    /// <summary>Several documents (and their paragraphs or lines) in one encoder call, which batches them by length.</summary>
    /// <param name="independently">
    /// Classify with <see cref="ILabelingEngine.ClassifyIndependently"/>: each prediction then depends on its text alone,
    /// not, in its last digits, on the other texts of the call. See <see cref="FolderLabeler"/>.
    /// </param>
    public static IReadOnlyList<DocumentLabels> LabelMany(ILabelingEngine engine, IReadOnlyList<string> documents, TextUnit unit,
        CancellationToken cancellationToken = default, bool independently = false)
    {
        var texts = new List<string>();
        var plans = new List<(TextBlock[] Blocks, int First, bool WholeDocument)>(documents.Count);
        foreach (var document in documents)
        {
            var blocks = unit switch
            {
                TextUnit.Paragraph => Paragraphs.Split(document),
                TextUnit.Line => Paragraphs.Lines(document),
                _ => [],
            };
            var labelled = blocks.Where(b => HasEnoughText(b.Text)).ToArray();
            bool wholeDocument = HasEnoughText(document);
            plans.Add((labelled, texts.Count, wholeDocument));
            texts.AddRange(labelled.Select(b => b.Text));
            if (wholeDocument) texts.Add(document);
        }
        var predictions = texts.Count == 0 ? []
            : independently ? engine.ClassifyIndependently(texts, cancellationToken)
            : engine.Classify(texts, cancellationToken);
        return plans.Select(plan => new DocumentLabels(
            plan.WholeDocument ? predictions[plan.First + plan.Blocks.Length] : null,
            plan.Blocks.Select((b, i) => new LabeledBlock(b, predictions[plan.First + i])).ToArray())).ToList();
    }

    /// <summary>"Sports 97.1%, World 1.5%, ..." in descending probability.</summary>
    public static string Describe(Prediction p) => (p.ByUser ? "labelled by you; " : "") +
        string.Join(", ", p.LabelNames.Select((name, i) => (name, prob: p.Probabilities[i]))
            .OrderByDescending(x => x.prob).Select(x => $"{x.name} {x.prob * 100:F1}%"));
}
