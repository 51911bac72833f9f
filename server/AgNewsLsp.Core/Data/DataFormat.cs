namespace AgNewsLsp.Data;

/// <summary>The forms of labelled data that can be read.</summary>
public enum DataFormat
{
    /// <summary>Canonical AG News CSV: no header, "class number from 1","title","description".</summary>
    AgNewsCsv,
    /// <summary>CSV with a header that names a text and a label column (label a class number from 0, or a class name).</summary>
    HeaderCsv,
    /// <summary>One JSON object a line: {"text": ..., "label": a class number from 0, or a class name}.</summary>
    Jsonl,
    /// <summary>Parquet with text and label columns (Hugging Face's ag_news export).</summary>
    Parquet,
    /// <summary>Several files of different forms read as one dataset.</summary>
    Mixed,
}

/// <summary>How to read a labelled file.</summary>
/// <param name="SkipBadRows">Skip (and count) bad rows instead of throwing <see cref="DataFormatException"/>.</param>
/// <param name="Limit">Keep only the first N good rows.</param>
/// <param name="Format">Force a format instead of detecting it.</param>
public sealed record DataReadOptions(bool SkipBadRows = false, int? Limit = null, DataFormat? Format = null)
{
    /// <summary>Checked between rows: a long read stops when the work it serves is cancelled.</summary>
    public CancellationToken Cancellation { get; init; }

    public static DataReadOptions Default { get; } = new();
}

/// <summary>
/// Rows read from one labelled file or several (then <see cref="Path"/> names them all). <see cref="SkippedRows"/> counts bad rows
/// skipped under <see cref="DataReadOptions.SkipBadRows"/>; <see cref="Problems"/> describes the first of them.
/// </summary>
public sealed record LabeledDataset(IReadOnlyList<LabeledText> Rows, int SkippedRows, DataFormat Format, string Path)
{
    public const int MaxProblemsKept = 20;

    public IReadOnlyList<string> Problems { get; init; } = [];

    /// <summary>The classes, in index order: each row's label indexes them (how a read decides them: <see cref="ClassNames"/>).</summary>
    public required IReadOnlyList<string> LabelNames { get; init; }

    /// <summary>Rows left out because an earlier file of the same dataset held the same text.</summary>
    public int DuplicateRows { get; init; }

    /// <summary>The files read, in order.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    public int Count => Rows.Count;

    /// <summary>Rows per class, in the order of <see cref="LabelNames"/>.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[LabelNames.Count];
        foreach (var row in Rows) counts[row.Label]++;
        return counts;
    }

    /// <summary>
    /// Each row's class as an index into <paramref name="classes"/> (a head's), matched by name: the data's own indices
    /// may order the classes differently or hold fewer. A class that rows have and <paramref name="classes"/> lacks is an error.
    /// </summary>
    public int[] LabelsIn(IReadOnlyList<string> classes)
    {
        var map = LabelNames.Select(name => ClassNames.IndexOf(classes, name)).ToArray();
        var counts = ClassCounts();
        var unknown = LabelNames.Where((_, i) => map[i] < 0 && counts[i] > 0).ToList();
        if (unknown.Count > 0)
            throw new DataFormatException(Path, null,
                $"it has {(unknown.Count == 1 ? "a class" : "classes")} the head does not know: {string.Join(", ", unknown)} " +
                $"(the head's classes: {string.Join(", ", classes)})");
        return Rows.Select(r => map[r.Label]).ToArray();
    }
}

/// <summary>A bad row or a file that is not in a readable form. The message names the file and line (or row).</summary>
/// <remarks>A <see cref="FormatException"/>: every front reports it as the user's bad input, not as its own failure.</remarks>
public sealed class DataFormatException : FormatException
{
    public string Path { get; }
    /// <summary>1-based line (row for parquet) where the problem is; null when it concerns the whole file.</summary>
    public long? Line { get; }
    public string Reason { get; }

    /// <summary>"line" for text files, "row" for parquet.</summary>
    public string Unit { get; }

    public DataFormatException(string path, long? line, string reason, Exception? inner = null, string unit = "line")
        : base(line is null ? $"{path}: {reason}" : $"{path}, {unit} {line}: {reason}", inner)
    {
        Path = path;
        Line = line;
        Reason = reason;
        Unit = unit;
    }
}
