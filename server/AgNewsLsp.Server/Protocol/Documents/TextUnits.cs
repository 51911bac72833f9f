namespace AgNewsLsp.Server.Protocol.Documents;

public enum HoverUnit { Paragraph, Line }

/// <summary>A span of a document: [Start, End) offsets and the text between them.</summary>
public readonly record struct TextSpan(int Start, int End, string Text);

/// <summary>
/// Splits documents into the units that get labelled: lines, and paragraphs (runs of non-blank lines
/// separated by blank lines). Spans are trimmed of surrounding whitespace.
/// </summary>
public static class TextUnits
{
    /// <summary>The unit around <paramref name="position"/>; null on a blank line or past the text.</summary>
    public static TextSpan? At(TextDocument document, Position position, HoverUnit unit)
    {
        if (document.Text.Length == 0 || position.Line < 0 || position.Line >= document.LineCount) return null;
        var line = position.Line;
        if (IsBlank(document, line)) return null;
        int first = line, last = line;
        if (unit == HoverUnit.Paragraph)
        {
            while (first > 0 && !IsBlank(document, first - 1)) first--;
            while (last + 1 < document.LineCount && !IsBlank(document, last + 1)) last++;
        }
        return Trimmed(document, document.LineStart(first), document.LineContentEnd(last));
    }

    /// <summary>All paragraphs of the document in order.</summary>
    public static IReadOnlyList<TextSpan> Paragraphs(TextDocument document)
    {
        var result = new List<TextSpan>();
        var line = 0;
        while (line < document.LineCount)
        {
            if (IsBlank(document, line)) { line++; continue; }
            var first = line;
            while (line + 1 < document.LineCount && !IsBlank(document, line + 1)) line++;
            if (Trimmed(document, document.LineStart(first), document.LineContentEnd(line)) is { } span) result.Add(span);
            line++;
        }
        return result;
    }

    /// <summary>Letters and digits: a text with fewer than 3 of them is too small to label.</summary>
    public static int WordCharCount(ReadOnlySpan<char> text, int stopAt = int.MaxValue)
    {
        var n = 0;
        foreach (var c in text)
            if ((char.IsLetterOrDigit(c) || c == '_') && ++n >= stopAt) break;
        return n;
    }

    public static bool IsTiny(string text) => WordCharCount(text, 3) < 3;

    private static bool IsBlank(TextDocument d, int line) =>
        d.Text.AsSpan(d.LineStart(line), d.LineContentEnd(line) - d.LineStart(line)).IsWhiteSpace();

    private static TextSpan? Trimmed(TextDocument d, int start, int end)
    {
        while (start < end && char.IsWhiteSpace(d.Text[start])) start++;
        while (end > start && char.IsWhiteSpace(d.Text[end - 1])) end--;
        return end > start ? new TextSpan(start, end, d.Text[start..end]) : null;
    }
}
