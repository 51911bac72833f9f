using AgNewsLsp.Engine;
using AgNewsLsp.Text;

namespace AgNewsLsp.Server.Protocol.Documents;

public enum HoverUnit { Paragraph, Line }

/// <summary>A span of a document: [Start, End) offsets and the text between them.</summary>
public readonly record struct TextSpan(int Start, int End, string Text);

/// <summary>
/// The units that get labelled, located by LSP line: a thin adapter over the core's
/// <see cref="Paragraphs"/> (paragraphs are runs of non-blank lines; spans are trimmed).
/// </summary>
public static class TextUnits
{
    /// <summary>The unit on the position's line; null on a blank line or past the text.</summary>
    public static TextSpan? At(TextDocument document, Position position, HoverUnit unit)
    {
        var blocks = unit == HoverUnit.Paragraph ? AgNewsLsp.Text.Paragraphs.Split(document.Text) : AgNewsLsp.Text.Paragraphs.Lines(document.Text);
        var block = blocks.FirstOrDefault(b => b.StartLine <= position.Line && position.Line <= b.EndLine);
        return block is null ? null : ToSpan(block);
    }

    /// <summary>All paragraphs of the document in order.</summary>
    public static IReadOnlyList<TextSpan> Paragraphs(TextDocument document) =>
        AgNewsLsp.Text.Paragraphs.Split(document.Text).Select(ToSpan).ToList();

    /// <summary>Too little text to label (the core's rule: fewer than 3 letters or digits).</summary>
    public static bool IsTiny(string text) => !DocumentLabeler.HasEnoughText(text);

    private static TextSpan ToSpan(TextBlock block) => new(block.Start, block.End, block.Text);
}
