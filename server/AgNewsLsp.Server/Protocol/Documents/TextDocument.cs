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

    public int OffsetAt(Position position)
    {
        if (position.Line < 0) return 0;
        if (position.Line >= lineStarts.Length) return Text.Length;
        var start = lineStarts[position.Line];
        var end = LineContentEnd(position.Line);
        return Math.Clamp(start + Math.Max(0, position.Character), start, end);
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
        return (Paragraphs.Trim(Text, lineStarts[first], LineContentEnd(first)).Start, Paragraphs.Trim(Text, lineStarts[last], LineContentEnd(last)).End,
            first, last);
    }

    /// <summary>[start, end) of the trimmed line; null on a blank line.</summary>
    public (int Start, int End)? LineAt(int line) =>
        IsBlank(line) ? null : Paragraphs.Trim(Text, lineStarts[line], LineContentEnd(line));

    /// <summary>Applies LSP content changes in order (incremental with a range, full without) and returns the new snapshot.</summary>
    public TextDocument Apply(IReadOnlyList<TextDocumentContentChangeEvent> changes, int version)
    {
        // One change (a keystroke) keeps the index of the lines it does not touch. Many (a client's batch, a refactoring)
        // are spliced into one buffer and indexed once at the end: a snapshot per change would copy the whole document
        // per change, and 5,000 changes to a large document took seconds.
        if (changes is [{ Range: { } range } single])
            return Replace(range, single.Text, version);
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
            buffer ??= new EditBuffer(current.Text, current.lineStarts);
            buffer.Replace(change.Range, change.Text);
        }
        if (buffer is not null) return new TextDocument(Uri, version, buffer.ToString());
        return current.Version == version ? current : new TextDocument(Uri, version, current.Text, (current.lineStarts, current.blank));
    }

    /// <summary>
    /// A document being changed many times over: its text in one growable array and its line starts, both updated in
    /// place per change (a copy of what follows the change, not of the whole document), positions converted as
    /// <see cref="OffsetAt"/> does.
    /// </summary>
    private sealed class EditBuffer
    {
        private char[] chars;
        private int length;
        private readonly List<int> starts;

        public EditBuffer(string text, int[] lineStarts)
        {
            chars = new char[Math.Max(16, text.Length + text.Length / 4)];
            text.CopyTo(0, chars, 0, text.Length);
            length = text.Length;
            starts = [.. lineStarts];
        }

        public override string ToString() => new(chars, 0, length);

        private int LineEnd(int line)
        {
            var end = line + 1 < starts.Count ? starts[line + 1] : length;
            if (line + 1 < starts.Count)
            {
                if (end > starts[line] && chars[end - 1] == '\n') end--;
                if (end > starts[line] && chars[end - 1] == '\r') end--;
            }
            return end;
        }

        private int OffsetAt(Position position)
        {
            if (position.Line < 0) return 0;
            if (position.Line >= starts.Count) return length;
            var start = starts[position.Line];
            return Math.Clamp(start + Math.Max(0, position.Character), start, LineEnd(position.Line));
        }

        private int LineOf(int offset)
        {
            var line = starts.BinarySearch(offset);
            return line < 0 ? ~line - 1 : line;
        }

        public void Replace(Range range, string inserted)
        {
            var start = OffsetAt(range.Start);
            var end = OffsetAt(range.End);
            if (end < start) (start, end) = (end, start);
            // As in TextDocument.Replace: the touched lines and one on each side, since "\r" + "\n" may join.
            var firstLine = Math.Max(0, LineOf(start) - 1);
            var lastLine = Math.Min(starts.Count - 1, LineOf(end) + 1);
            var hasTail = lastLine + 1 < starts.Count;
            var delta = inserted.Length - (end - start);

            if (length + delta > chars.Length) Array.Resize(ref chars, Math.Max(length + delta, chars.Length * 2));
            Array.Copy(chars, end, chars, end + delta, length - end);
            inserted.CopyTo(0, chars, start, inserted.Length);
            length += delta;

            var regionStart = starts[firstLine];
            var regionEnd = (hasTail ? starts[lastLine + 1] : length - delta) + delta;
            var found = new List<int> { regionStart };
            var text = chars.AsSpan(0, length);
            for (var i = regionStart; i < regionEnd; i++)
            {
                var breakLength = Paragraphs.LineBreakAt(text, i);
                if (breakLength == 0) continue;
                i += breakLength - 1;
                found.Add(i + 1);
            }
            if (hasTail) found.RemoveAt(found.Count - 1); // the line at regionEnd is the tail's first, kept below
            for (var i = lastLine + 1; i < starts.Count; i++) starts[i] += delta;
            starts.RemoveRange(firstLine, lastLine + 1 - firstLine);
            starts.InsertRange(firstLine, found);
        }
    }

    /// <summary>One incremental change: the text is spliced, the index rescanned over the touched lines (and one on each side).</summary>
    private TextDocument Replace(Range range, string inserted, int version)
    {
        var start = OffsetAt(range.Start);
        var end = OffsetAt(range.End);
        if (end < start) (start, end) = (end, start);
        var text = string.Concat(Text.AsSpan(0, start), inserted, Text.AsSpan(end));
        var delta = inserted.Length - (end - start);

        // A neighbouring line is included because a change can join "\r" and "\n" into one line break.
        var firstLine = Math.Max(0, PositionAt(start).Line - 1);
        var lastLine = Math.Min(lineStarts.Length - 1, PositionAt(end).Line + 1);
        var regionStart = lineStarts[firstLine];
        var hasTail = lastLine + 1 < lineStarts.Length;
        var regionEnd = (hasTail ? lineStarts[lastLine + 1] : Text.Length) + delta;
        var (starts, blanks) = Scan(text, regionStart, regionEnd);
        // Scan also reports the line that begins at regionEnd; the tail's own first line is that one.
        var keep = hasTail ? starts.Length - 1 : starts.Length;

        var tail = hasTail ? lineStarts.Length - (lastLine + 1) : 0;
        var newStarts = new int[firstLine + keep + tail];
        var newBlank = new bool[newStarts.Length];
        Array.Copy(lineStarts, newStarts, firstLine);
        Array.Copy(blank, newBlank, firstLine);
        Array.Copy(starts, 0, newStarts, firstLine, keep);
        Array.Copy(blanks, 0, newBlank, firstLine, keep);
        for (var i = 0; i < tail; i++)
        {
            newStarts[firstLine + keep + i] = lineStarts[lastLine + 1 + i] + delta;
            newBlank[firstLine + keep + i] = blank[lastLine + 1 + i];
        }
        return new TextDocument(Uri, version, text, (newStarts, newBlank));
    }

    /// <summary>Offset of the end of the line's content, before its line break.</summary>
    public int LineContentEnd(int line)
    {
        var end = line + 1 < lineStarts.Length ? lineStarts[line + 1] : Text.Length;
        if (end > lineStarts[line] && end <= Text.Length && line + 1 < lineStarts.Length)
        {
            // strip \n, \r\n or \r
            if (Text[end - 1] == '\n') end--;
            if (end > lineStarts[line] && Text[end - 1] == '\r') end--;
        }
        return end;
    }

    public int LineStart(int line) => lineStarts[Math.Clamp(line, 0, lineStarts.Length - 1)];

    /// <summary>
    /// Line starts and blank flags of the lines that begin in [from, to], where from is a line start: the line at from,
    /// and each line after a break (\n, \r\n or a lone \r) up to and including one that starts at to.
    /// </summary>
    private static (int[] Starts, bool[] Blank) Scan(string text, int from, int to)
    {
        var starts = new List<int> { from };
        var blanks = new List<bool>();
        for (var i = from; i < to; i++)
        {
            var breakLength = Paragraphs.LineBreakAt(text, i);
            if (breakLength == 0) continue;
            blanks.Add(Paragraphs.IsBlank(text.AsSpan(starts[^1], i - starts[^1])));
            i += breakLength - 1;
            starts.Add(i + 1);
        }
        // The last line runs on to its break (or the end of the text), which may lie past 'to'.
        var last = starts[^1];
        var end = Math.Max(last, to);
        while (end < text.Length && Paragraphs.LineBreakAt(text, end) == 0) end++;
        blanks.Add(Paragraphs.IsBlank(text.AsSpan(last, end - last)));
        return (starts.ToArray(), blanks.ToArray());
    }
}
