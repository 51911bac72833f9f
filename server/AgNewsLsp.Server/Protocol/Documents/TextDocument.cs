using AgNewsLsp.Text;
using AgNewsLsp.Server.Wire;
using Range = AgNewsLsp.Server.Wire.Range;
namespace AgNewsLsp.Server.Protocol.Documents;

/// <summary>
/// An immutable snapshot of an open document with LSP position &lt;-&gt; offset conversion and a line index.
/// LSP positions count UTF-16 code units, which is what .NET string indices are, so a character
/// offset within a line is a string offset; only line starts need an index. Positions past the end
/// of a line or of the text clamp to it, as LSP asks.
/// The index also records which lines are blank (white space only), so the paragraph under a position is
/// found by walking its own lines, never by splitting the whole document; an incremental change rescans only
/// the lines it touches and shifts the rest.
/// </summary>
public sealed class TextDocument
{
    private readonly int[] lineStarts;
    private readonly bool[] blank;

    public TextDocument(string uri, int version, string text)
        : this(uri, version, text, Scan(text, 0, text.Length))
    {
    }

    private TextDocument(string uri, int version, string text, (int[] Starts, bool[] Blank) index)
    {
        Uri = uri;
        Version = version;
        Text = text;
        lineStarts = index.Starts;
        blank = index.Blank;
    }

    public string Uri { get; }
    public int Version { get; }
    public string Text { get; }
    public int LineCount => lineStarts.Length;

    public int OffsetAt(Position position) => OffsetAt(Text, lineStarts, position);

    /// <summary>The offset of an LSP position in a text with these line starts, clamped to its line and the text.</summary>
    private static int OffsetAt(ReadOnlySpan<char> text, IReadOnlyList<int> starts, Position position)
    {
        if (position.Line < 0) return 0;
        if (position.Line >= starts.Count) return text.Length;
        var start = starts[position.Line];
        return Math.Clamp(start + Math.Max(0, position.Character), start, ContentEnd(text, starts, position.Line));
    }

    public Position PositionAt(int offset)
    {
        offset = Math.Clamp(offset, 0, Text.Length);
        var line = Array.BinarySearch(lineStarts, offset);
        if (line < 0) line = ~line - 1;
        return new Position(line, offset - lineStarts[line]);
    }

    public Range RangeOf(int start, int end) => new(PositionAt(start), PositionAt(end));

    /// <summary>True when the line holds only white space (or nothing); lines past the end count as blank.</summary>
    public bool IsBlank(int line) => line < 0 || line >= blank.Length || blank[line];

    /// <summary>[start, end) of the paragraph (<see cref="Paragraphs.RunAt"/>, trimmed) on the line; null on a blank line.</summary>
    public (int Start, int End, int FirstLine, int LastLine)? ParagraphAt(int line)
    {
        if (Paragraphs.RunAt(line, IsBlank) is not var (first, last)) return null;
        return (Paragraphs.Trim(Text, lineStarts[first], LineContentEnd(first)).Start,
            Paragraphs.Trim(Text, lineStarts[last], LineContentEnd(last)).End, first, last);
    }

    /// <summary>[start, end) of the trimmed line; null on a blank line.</summary>
    public (int Start, int End)? LineAt(int line) =>
        IsBlank(line) ? null : Paragraphs.Trim(Text, lineStarts[line], LineContentEnd(line));

    /// <summary>Applies LSP content changes in order (incremental with a range, full without) and returns the new snapshot.</summary>
    public TextDocument Apply(IReadOnlyList<TextDocumentContentChangeEvent> changes, int version)
    {
        // The changes are spliced into one buffer whose index is kept up to date per change, and the snapshot is made
        // once at the end: a snapshot per change would copy the whole document per change (5,000 changes to a large
        // document took seconds).
        var current = this;
        EditBuffer? buffer = null;
        foreach (var change in changes)
        {
            if (change.Range is null)
            {
                buffer = null;
                current = new TextDocument(Uri, version, change.Text);
                continue;
            }
            buffer ??= new EditBuffer(current);
            buffer.Replace(change.Range, change.Text);
        }
        if (buffer is not null) return buffer.ToDocument(version);
        return current.Version == version ? current : new TextDocument(Uri, version, current.Text, (current.lineStarts, current.blank));
    }

    /// <summary>
    /// A document being changed: its text in one growable array and its line index, updated in place per change (a copy
    /// of what follows the change, and a rescan of the lines it touches), positions converted as <see cref="OffsetAt"/> does.
    /// </summary>
    private sealed class EditBuffer(TextDocument document)
    {
        private char[] chars = Growable(document.Text);
        private int length = document.Text.Length;
        private readonly List<int> starts = [.. document.lineStarts];
        private readonly List<bool> blanks = [.. document.blank];

        private static char[] Growable(string text)
        {
            var chars = new char[Math.Max(16, text.Length + text.Length / 4)];
            text.CopyTo(0, chars, 0, text.Length);
            return chars;
        }

        private ReadOnlySpan<char> Text => chars.AsSpan(0, length);

        public TextDocument ToDocument(int version) => new(document.Uri, version, new string(Text), (starts.ToArray(), blanks.ToArray()));

        private int LineOf(int offset)
        {
            var line = starts.BinarySearch(offset);
            return line < 0 ? ~line - 1 : line;
        }

        public void Replace(Range range, string inserted)
        {
            var start = OffsetAt(Text, starts, range.Start);
            var end = OffsetAt(Text, starts, range.End);
            if (end < start) (start, end) = (end, start);
            // The touched lines and one on each side: a change can join "\r" and "\n" into one line break.
            var firstLine = Math.Max(0, LineOf(start) - 1);
            var lastLine = Math.Min(starts.Count - 1, LineOf(end) + 1);
            var hasTail = lastLine + 1 < starts.Count;
            var delta = inserted.Length - (end - start);
            var regionEnd = (hasTail ? starts[lastLine + 1] : length) + delta;

            if (length + delta > chars.Length) Array.Resize(ref chars, Math.Max(length + delta, chars.Length * 2));
            Array.Copy(chars, end, chars, end + delta, length - end);
            inserted.CopyTo(0, chars, start, inserted.Length);
            length += delta;

            var (found, foundBlank) = Scan(Text, starts[firstLine], regionEnd);
            // Scan also reports the line that begins at regionEnd; the tail's own first line is that one.
            var keep = hasTail ? found.Length - 1 : found.Length;
            for (var i = lastLine + 1; i < starts.Count; i++) starts[i] += delta;
            starts.RemoveRange(firstLine, lastLine + 1 - firstLine);
            starts.InsertRange(firstLine, found.Take(keep));
            blanks.RemoveRange(firstLine, lastLine + 1 - firstLine);
            blanks.InsertRange(firstLine, foundBlank.Take(keep));
        }
    }

    /// <summary>Offset of the end of the line's content, before its line break.</summary>
    public int LineContentEnd(int line) => ContentEnd(Text, lineStarts, line);

    private static int ContentEnd(ReadOnlySpan<char> text, IReadOnlyList<int> starts, int line)
    {
        var end = line + 1 < starts.Count ? starts[line + 1] : text.Length;
        if (end > starts[line] && end <= text.Length && line + 1 < starts.Count)
        {
            // strip \n, \r\n or \r
            if (text[end - 1] == '\n') end--;
            if (end > starts[line] && text[end - 1] == '\r') end--;
        }
        return end;
    }

    public int LineStart(int line) => lineStarts[Math.Clamp(line, 0, lineStarts.Length - 1)];

    /// <summary>
    /// Line starts and blank flags of the lines that begin in [from, to], where from is a line start: the line at from,
    /// and each line after a break (\n, \r\n or a lone \r) up to and including one that starts at to.
    /// </summary>
    private static (int[] Starts, bool[] Blank) Scan(ReadOnlySpan<char> text, int from, int to)
    {
        var starts = new List<int> { from };
        var blanks = new List<bool>();
        for (var i = from; i < to; i++)
        {
            var breakLength = Paragraphs.LineBreakAt(text, i);
            if (breakLength == 0) continue;
            blanks.Add(Paragraphs.IsBlank(text.Slice(starts[^1], i - starts[^1])));
            i += breakLength - 1;
            starts.Add(i + 1);
        }
        // The last line runs on to its break (or the end of the text), which may lie past 'to'.
        var last = starts[^1];
        var end = Math.Max(last, to);
        while (end < text.Length && Paragraphs.LineBreakAt(text, end) == 0) end++;
        blanks.Add(Paragraphs.IsBlank(text.Slice(last, end - last)));
        return (starts.ToArray(), blanks.ToArray());
    }
}
