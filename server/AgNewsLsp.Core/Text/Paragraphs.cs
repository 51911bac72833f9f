namespace AgNewsLsp.Text;

/// <summary>
/// A piece of a document: its text (trimmed of surrounding white space), where it starts in the original
/// string, its length there, and the 0-based lines it spans. <see cref="End"/> is exclusive.
/// </summary>
public sealed record TextBlock(int Index, int Start, int Length, int StartLine, int EndLine, string Text)
{
    public int End => Start + Length;

    /// <summary>True when <paramref name="offset"/> lies in the block or right after its last character (a caret at its end).</summary>
    public bool Contains(int offset) => offset >= Start && offset <= End;
}

/// <summary>
/// Splits documents into paragraphs (runs of non-blank lines separated by blank or white-space-only lines)
/// and lines, with offsets into the original string. Line breaks are \n, \r\n or a lone \r.
/// </summary>
public static class Paragraphs
{
    /// <summary>The paragraphs of a document, trimmed; blank documents give none.</summary>
    public static IReadOnlyList<TextBlock> Split(string document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var result = new List<TextBlock>();
        int? firstLine = null;
        int start = 0, end = 0, lastLine = 0;
        foreach (var (lineNo, lineStart, lineLength) in RawLines(document))
        {
            var (s, e) = TrimRange(document, lineStart, lineStart + lineLength);
            if (s == e)
            {
                if (firstLine is int fl) result.Add(Make(document, result.Count, start, end, fl, lastLine));
                firstLine = null;
                continue;
            }
            if (firstLine is null) { firstLine = lineNo; start = s; }
            end = e;
            lastLine = lineNo;
        }
        if (firstLine is int f) result.Add(Make(document, result.Count, start, end, f, lastLine));
        return result;
    }

    /// <summary>The non-blank lines of a document, each trimmed, with its 0-based line number.</summary>
    public static IReadOnlyList<TextBlock> Lines(string document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var result = new List<TextBlock>();
        foreach (var (lineNo, lineStart, lineLength) in RawLines(document))
        {
            var (s, e) = TrimRange(document, lineStart, lineStart + lineLength);
            if (s < e) result.Add(Make(document, result.Count, s, e, lineNo, lineNo));
        }
        return result;
    }

    /// <summary>The paragraph that contains the character offset (or has the caret at its end); null in a gap.</summary>
    public static TextBlock? ParagraphAt(string document, int offset) => Find(Split(document), offset);

    /// <summary>The non-blank line that contains the character offset (or has the caret at its end); null on a blank line.</summary>
    public static TextBlock? LineAt(string document, int offset) => Find(Lines(document), offset);

    /// <summary>The block, in blocks sorted by start, that contains the offset; null when none does.</summary>
    public static TextBlock? Find(IReadOnlyList<TextBlock> blocks, int offset)
    {
        int lo = 0, hi = blocks.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            var b = blocks[mid];
            if (offset < b.Start) hi = mid - 1;
            else if (offset > b.End) lo = mid + 1;
            else return b;
        }
        return null;
    }

    /// <summary>Every line as (0-based number, start offset, length without its line break).</summary>
    public static IEnumerable<(int Line, int Start, int Length)> RawLines(string document)
    {
        int line = 0, start = 0;
        for (int i = 0; i < document.Length; i++)
        {
            char c = document[i];
            if (c != '\n' && c != '\r') continue;
            yield return (line++, start, i - start);
            if (c == '\r' && i + 1 < document.Length && document[i + 1] == '\n') i++;
            start = i + 1;
        }
        yield return (line, start, document.Length - start);
    }

    private static (int Start, int End) TrimRange(string s, int start, int end)
    {
        while (start < end && char.IsWhiteSpace(s[start])) start++;
        while (end > start && char.IsWhiteSpace(s[end - 1])) end--;
        return (start, end);
    }

    private static TextBlock Make(string document, int index, int start, int end, int startLine, int endLine) =>
        new(index, start, end - start, startLine, endLine, document.Substring(start, end - start));
}
