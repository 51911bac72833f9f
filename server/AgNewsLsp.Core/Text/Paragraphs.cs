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
/// The rule is written here once (<see cref="LineBreakAt"/>, <see cref="IsBlank"/>, <see cref="Trim"/>,
/// <see cref="RunAt"/>): the server's open documents keep an incremental line index of their own, built with these.
/// </summary>
public static class Paragraphs
{
    /// <summary>The length of the line break at <paramref name="i"/>: 2 for \r\n, 1 for \n or a lone \r, 0 for none.</summary>
    public static int LineBreakAt(ReadOnlySpan<char> text, int i) => text[i] switch
    {
        '\n' => 1,
        '\r' => i + 1 < text.Length && text[i + 1] == '\n' ? 2 : 1,
        _ => 0,
    };

    /// <summary>A blank line holds white space only (or nothing): it separates paragraphs.</summary>
    public static bool IsBlank(ReadOnlySpan<char> line) => line.IsWhiteSpace();

    /// <summary>[start, end) of text[start..end] without the white space around it.</summary>
    public static (int Start, int End) Trim(string text, int start, int end)
    {
        while (start < end && char.IsWhiteSpace(text[start])) start++;
        while (end > start && char.IsWhiteSpace(text[end - 1])) end--;
        return (start, end);
    }

    /// <summary>
    /// The paragraph a line belongs to, as its first and last line: the run of non-blank lines around it; null on a blank
    /// line. <paramref name="isBlank"/> answers for any line number (true before the first line and after the last).
    /// </summary>
    public static (int First, int Last)? RunAt(int line, Func<int, bool> isBlank)
    {
        if (isBlank(line)) return null;
        int first = line, last = line;
        while (!isBlank(first - 1)) first--;
        while (!isBlank(last + 1)) last++;
        return (first, last);
    }

    /// <summary>The paragraphs of a document, trimmed; blank documents give none.</summary>
    public static IReadOnlyList<TextBlock> Split(string document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var result = new List<TextBlock>();
        int? firstLine = null;
        int start = 0, end = 0, lastLine = 0;
        foreach (var (lineNo, lineStart, lineLength) in RawLines(document))
        {
            var (s, e) = Trim(document, lineStart, lineStart + lineLength);
            if (s == e) // a blank line: it ends the paragraph before it
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
            var (s, e) = Trim(document, lineStart, lineStart + lineLength);
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
            var breakLength = LineBreakAt(document, i);
            if (breakLength == 0) continue;
            yield return (line++, start, i - start);
            i += breakLength - 1;
            start = i + 1;
        }
        yield return (line, start, document.Length - start);
    }

    private static TextBlock Make(string document, int index, int start, int end, int startLine, int endLine) =>
        new(index, start, end - start, startLine, endLine, document.Substring(start, end - start));
}
