using AgNewsLsp.Engine;
using AgNewsLsp.Text;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Server.Protocol.Documents;

/// <summary>A span of a document: [Start, End) offsets and the text between them.</summary>
public readonly record struct TextSpan(int Start, int End, string Text);

/// <summary>
/// The units that get labelled, located by LSP line. The unit under a position comes from the document's line
/// index (the core's paragraph rule: runs of non-blank lines, trimmed), so a hover costs the size of its own
/// paragraph, not of the document; all paragraphs come from the core's <see cref="Paragraphs"/>.
/// </summary>
public static class TextUnits
{
    /// <summary>The unit on the position's line; null on a blank line or past the text.</summary>
    public static TextSpan? At(TextDocument document, Position position, TextUnit unit)
    {
        (int Start, int End)? span = unit == TextUnit.Paragraph
            ? document.ParagraphAt(position.Line) is { } p ? (p.Start, p.End) : null
            : document.LineAt(position.Line);
        return span is { } s ? new TextSpan(s.Start, s.End, document.Text[s.Start..s.End]) : null;
    }

    /// <summary>
    /// The paragraphs in order, found one after another through the line index: a caller that takes the first few
    /// pays for those, not for the whole document (the same paragraphs as <see cref="Paragraphs"/>).
    /// </summary>
    public static IEnumerable<TextSpan> ParagraphsInOrder(TextDocument document)
    {
        for (var line = 0; line < document.LineCount;)
        {
            if (document.ParagraphAt(line) is not { } p)
            {
                line++;
                continue;
            }
            yield return new TextSpan(p.Start, p.End, document.Text[p.Start..p.End]);
            line = p.LastLine + 1;
        }
    }

    /// <summary>All paragraphs of the document in order.</summary>
    public static IReadOnlyList<TextSpan> Paragraphs(TextDocument document) =>
        AgNewsLsp.Text.Paragraphs.Split(document.Text).Select(ToSpan).ToList();

    private static TextSpan ToSpan(TextBlock block) => new(block.Start, block.End, block.Text);
}
