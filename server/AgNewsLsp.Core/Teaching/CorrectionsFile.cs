using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AgNewsLsp.IO;

namespace AgNewsLsp.Teaching;

/// <summary>Where a corrected text stands: a document and its lines (from 0, inclusive).</summary>
public sealed record CorrectionSource(
    [property: JsonPropertyName("uri")] string Uri,
    [property: JsonPropertyName("startLine")] int StartLine,
    [property: JsonPropertyName("endLine")] int EndLine);

/// <summary>A label a person gave a text: a row of the corrections dataset, as <c>agnews train --data</c> reads it.</summary>
public sealed record Correction(
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("source")] CorrectionSource? Source,
    [property: JsonPropertyName("time")] DateTimeOffset Time);

/// <summary>The rows of a corrections file, and what reading it found wrong (a torn last line).</summary>
public sealed record CorrectionsRead(IReadOnlyList<Correction> Rows, string? Warning);

/// <summary>
/// The corrections dataset: a JSONL file the user owns (by default <c>.agnews/labels.jsonl</c> in the workspace folder),
/// one correction a line, which <c>agnews train --data</c> reads like any labelled data. Rules:
/// <list type="bullet">
/// <item>A new text is appended: one write of the whole line, then an fsync. A process killed at any moment leaves
/// every complete line whole; a torn last line (no newline) is ignored when read, with a warning, and cut off before
/// the next append.</item>
/// <item>A text labelled again keeps one row, the last label: the file is rewritten without its earlier row, then the new
/// row is appended (the rewrite is atomic: a temp file renamed over it).</item>
/// <item>Undo removes the last row (and puts back the row it replaced, when this process saw the replacement).</item>
/// </list>
/// Within a process, calls on one path are serialised; two processes teaching into one file at the same moment are
/// not coordinated (the last rewrite wins), so the editor and <c>agnews teach</c> should not share a file at once.
/// </summary>
public static class CorrectionsFile
{
    /// <summary>Where corrections go when no path is given: under the workspace folder the document belongs to.</summary>
    public const string DefaultRelativePath = ".agnews/labels.jsonl";

    /// <summary>A corrections file is hand-sized; a file above this is not one (and would not fit the memory).</summary>
    public const long MaxFileBytes = 64L << 20;

    private static readonly JsonSerializerOptions Json =
        new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly Dictionary<string, object> Gates = new(StringComparer.Ordinal);

    private static object GateOf(string path)
    {
        lock (Gates)
        {
            if (!Gates.TryGetValue(path, out var gate)) Gates[path] = gate = new object();
            return gate;
        }
    }

    /// <summary>One correction as its line in the file (no newline): the JSON object.</summary>
    public static string ToLine(Correction correction) => JsonSerializer.Serialize(correction, Json);

    /// <summary>The file's corrections, one per text (the last row of a text wins); none when there is no file.</summary>
    public static CorrectionsRead Read(string path)
    {
        if (!File.Exists(path)) return new CorrectionsRead([], null);
        string text;
        using (var stream = InputFiles.OpenRegular(path, MaxFileBytes))
        using (var reader = new StreamReader(stream, Encoding.UTF8))
            text = reader.ReadToEnd();
        var rows = new List<Correction>();
        string? warning = null;
        int lineNo = 0, start = 0;
        while (start < text.Length)
        {
            int end = text.IndexOf('\n', start);
            lineNo++;
            if (end < 0)
            {
                // A line without its newline: a write that did not finish. Not data; cut off before the next append.
                warning = $"{path}:{lineNo}: the last line is incomplete (a write was interrupted); it is ignored and will be removed.";
                break;
            }
            var line = text[start..end].Trim();
            start = end + 1;
            if (line.Length == 0) continue;
            rows.Add(Parse(line, path, lineNo));
        }
        return new CorrectionsRead(Deduplicated(rows), warning);
    }

    private static Correction Parse(string line, string path, int lineNo)
    {
        try
        {
            var row = JsonSerializer.Deserialize<Correction>(line, Json);
            if (row is null || string.IsNullOrWhiteSpace(row.Text) || string.IsNullOrWhiteSpace(row.Label))
                throw new JsonException("a correction needs a text and a label");
            return row;
        }
        catch (JsonException e)
        {
            throw new Data.DataFormatException(path, lineNo, $"not a correction ({e.Message})", e);
        }
    }

    /// <summary>One row per text, the last one, in the order of those last rows.</summary>
    private static List<Correction> Deduplicated(List<Correction> rows)
    {
        var last = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < rows.Count; i++) last[Key(rows[i].Text)] = i;
        return rows.Where((r, i) => last[Key(r.Text)] == i).ToList();
    }

    /// <summary>Texts are one text whatever the white space around them.</summary>
    public static string Key(string text) => text.Trim();

    /// <summary>
    /// Adds a correction: appended when its text is new, else the file is rewritten without the text's earlier row and the
    /// row appended. Returns the row it replaced, if any.
    /// </summary>
    public static Correction? Add(string path, Correction correction)
    {
        lock (GateOf(Path.GetFullPath(path)))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var existing = Read(path).Rows;
            var replaced = existing.LastOrDefault(r => Key(r.Text) == Key(correction.Text));
            if (replaced is not null) Rewrite(path, existing.Where(r => !ReferenceEquals(r, replaced)));
            Append(path, correction);
            return replaced;
        }
    }

    /// <summary>Removes the last row and puts back <paramref name="restore"/> (the row it had replaced); returns the removed row.</summary>
    public static Correction? RemoveLast(string path, Correction? restore = null)
    {
        lock (GateOf(Path.GetFullPath(path)))
        {
            var rows = Read(path).Rows.ToList();
            if (rows.Count == 0) return null;
            var removed = rows[^1];
            rows.RemoveAt(rows.Count - 1);
            if (restore is not null && Key(restore.Text) == Key(removed.Text)) rows.Add(restore);
            Rewrite(path, rows);
            return removed;
        }
    }

    private static void Rewrite(string path, IEnumerable<Correction> rows)
    {
        var text = new StringBuilder();
        foreach (var row in rows) text.Append(ToLine(row)).Append('\n');
        AtomicFile.WriteAllText(path, text.ToString());
    }

    /// <summary>
    /// Appends one line with one write and an fsync. A torn last line (an interrupted earlier write) is cut off first,
    /// so that the new line does not join it.
    /// </summary>
    private static void Append(string path, Correction correction)
    {
        var bytes = Encoding.UTF8.GetBytes(ToLine(correction) + "\n");
        using var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.None);
        long length = stream.Length;
        if (length > 0)
        {
            stream.Seek(-1, SeekOrigin.End);
            if (stream.ReadByte() != '\n') stream.SetLength(LastLineStart(stream, length));
        }
        stream.Seek(0, SeekOrigin.End);
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Where the last (torn) line of a file begins: just after its last newline, or 0.</summary>
    private static long LastLineStart(FileStream stream, long length)
    {
        var buffer = new byte[4096];
        for (long end = length; end > 0;)
        {
            int count = (int)Math.Min(buffer.Length, end);
            stream.Seek(end - count, SeekOrigin.Begin);
            stream.ReadExactly(buffer, 0, count);
            int newline = Array.LastIndexOf(buffer, (byte)'\n', count - 1);
            if (newline >= 0) return end - count + newline + 1;
            end -= count;
        }
        return 0;
    }

    /// <summary>
    /// The corrections file for a document: <paramref name="configured"/> when set (relative to the workspace folder),
    /// else <see cref="DefaultRelativePath"/> under the workspace folder, else beside the document itself.
    /// </summary>
    public static string PathFor(string? configured, string? workspaceFolder, string? documentPath)
    {
        var folder = workspaceFolder ?? (documentPath is null ? Environment.CurrentDirectory : Path.GetDirectoryName(documentPath)!);
        return Path.GetFullPath(string.IsNullOrWhiteSpace(configured)
            ? Path.Combine(folder, DefaultRelativePath)
            : Path.Combine(folder, configured));
    }

    /// <summary>
    /// The corrections file of the command line when none is named: the nearest <see cref="DefaultRelativePath"/> that
    /// exists in an input's folder (a file's folder, or the folder itself) or a folder above it, up to the top of its
    /// repository (a folder holding .git), inputs taken in order; else <see cref="DefaultRelativePath"/> under
    /// <paramref name="currentDirectory"/>, the folder an editor opened there would keep it in. Found: whether it exists.
    /// </summary>
    public static (string Path, bool Found) FindFor(IEnumerable<string> inputs, string currentDirectory)
    {
        foreach (var input in inputs)
        {
            var full = Path.GetFullPath(input, currentDirectory);
            for (var dir = Directory.Exists(full) ? full : Path.GetDirectoryName(full); dir is not null; dir = Path.GetDirectoryName(dir))
            {
                var candidate = Path.Combine(dir, DefaultRelativePath);
                if (File.Exists(candidate)) return (candidate, true);
                if (Directory.Exists(Path.Combine(dir, ".git")) || File.Exists(Path.Combine(dir, ".git"))) break;
            }
        }
        var here = Path.GetFullPath(Path.Combine(currentDirectory, DefaultRelativePath));
        return (here, File.Exists(here));
    }
}
