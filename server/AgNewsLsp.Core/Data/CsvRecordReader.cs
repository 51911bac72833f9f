using AgNewsLsp.IO;
using System.Text;

namespace AgNewsLsp.Data;

/// <summary>One CSV record: its fields and the 1-based line it starts on; Error is set when it is malformed.</summary>
internal sealed record CsvRecord(IReadOnlyList<string> Fields, long Line, string? Error);

/// <summary>
/// RFC 4180 CSV: comma separated, fields optionally double-quoted, "" inside quotes is one quote, quoted fields
/// may span lines. Nothing else is unescaped (backslashes stay as they are). Empty lines are skipped.
/// </summary>
/// A record longer than <see cref="InputLimits.MaxRecordChars"/> stops the read: its end cannot be trusted.
internal sealed class CsvRecordReader(TextReader reader, string path = "")
{
    private int _recordChars;

    private void Count(long startLine)
    {
        if (++_recordChars > InputLimits.MaxRecordChars)
            throw new DataFormatException(path, startLine, $"the record is longer than {InputLimits.MaxRecordChars} characters");
    }

    private long _line = 1;
    private readonly StringBuilder _field = new();

    public IEnumerable<CsvRecord> ReadAll()
    {
        while (Next() is { } record) yield return record;
    }

    public CsvRecord? Next()
    {
        // Skip empty lines between records.
        while (true)
        {
            int p = reader.Peek();
            if (p == -1) return null;
            if (p == '\n') { reader.Read(); _line++; continue; }
            if (p == '\r') { reader.Read(); if (reader.Peek() == '\n') reader.Read(); _line++; continue; }
            break;
        }
        long startLine = _line;
        _recordChars = 0;
        var fields = new List<string>();
        while (true)
        {
            _field.Clear();
            if (reader.Peek() == '"')
            {
                reader.Read();
                while (true)
                {
                    int c = reader.Read();
                    if (c == -1)
                        return new CsvRecord(fields, startLine,
                            $"unterminated quoted field (field {fields.Count + 1} opens a quote that never closes)");
                    if (c == '"')
                    {
                        if (reader.Peek() == '"') { reader.Read(); _field.Append('"'); continue; }
                        break;
                    }
                    if (c == '\n' || (c == '\r' && reader.Peek() != '\n')) _line++;
                    Count(startLine);
                    _field.Append((char)c);
                }
                fields.Add(_field.ToString());
                // Spaces or tabs between a closing quote and the delimiter are tolerated.
                while (reader.Peek() is ' ' or '\t') reader.Read();
                int after = reader.Peek();
                if (after == ',') { reader.Read(); continue; }
                if (after == -1 || EndOfLine()) return new CsvRecord(fields, startLine, null);
                SkipRestOfLine();
                return new CsvRecord(fields, startLine,
                    $"unexpected character '{(char)after}' after the closing quote of field {fields.Count}");
            }
            while (true)
            {
                int c = reader.Peek();
                if (c == ',') { reader.Read(); fields.Add(_field.ToString()); break; }
                if (c == -1 || c == '\r' || c == '\n')
                {
                    fields.Add(_field.ToString());
                    if (c != -1) EndOfLine();
                    return new CsvRecord(fields, startLine, null);
                }
                reader.Read();
                Count(startLine);
                _field.Append((char)c);
            }
        }
    }

    /// <summary>Consumes one line break if the reader is at one.</summary>
    private bool EndOfLine()
    {
        int c = reader.Peek();
        if (c == '\n') { reader.Read(); _line++; return true; }
        if (c == '\r') { reader.Read(); if (reader.Peek() == '\n') reader.Read(); _line++; return true; }
        return false;
    }

    private void SkipRestOfLine()
    {
        while (true)
        {
            int c = reader.Peek();
            if (c == -1) return;
            if (EndOfLine()) return;
            reader.Read();
        }
    }
}
