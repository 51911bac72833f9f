namespace AgNewsLsp.Server.Protocol.Documents;

/// <summary>
/// An immutable snapshot of an open document with LSP position &lt;-&gt; offset conversion.
/// LSP positions count UTF-16 code units, which is what .NET string indices are, so a character
/// offset within a line is a string offset; only line starts need an index. Positions past the end
/// of a line or of the text clamp to it, as LSP asks.
/// </summary>
public sealed class TextDocument
{
    private readonly int[] lineStarts;

    public TextDocument(string uri, int version, string text)
    {
        Uri = uri;
        Version = version;
        Text = text;
        lineStarts = ComputeLineStarts(text);
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

    /// <summary>Applies LSP content changes in order (incremental with a range, full without) and returns the new snapshot.</summary>
    public TextDocument Apply(IEnumerable<TextDocumentContentChangeEvent> changes, int version)
    {
        var current = this;
        foreach (var change in changes)
        {
            if (change.Range is null)
            {
                current = new TextDocument(Uri, version, change.Text);
                continue;
            }
            var start = current.OffsetAt(change.Range.Start);
            var end = current.OffsetAt(change.Range.End);
            if (end < start) (start, end) = (end, start);
            var text = string.Concat(current.Text.AsSpan(0, start), change.Text, current.Text.AsSpan(end));
            current = new TextDocument(Uri, version, text);
        }
        return current.Version == version ? current : new TextDocument(Uri, version, current.Text);
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

    private static int[] ComputeLineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\r')
            {
                if (i + 1 < text.Length && text[i + 1] == '\n') i++;
                starts.Add(i + 1);
            }
            else if (c == '\n')
            {
                starts.Add(i + 1);
            }
        }
        return starts.ToArray();
    }
}
