namespace AgNewsLsp.Data;

/// <summary>The forms of labelled data that can be read.</summary>
public enum DataFormat
{
    /// <summary>Canonical AG News CSV: no header, "class 1-4","title","description".</summary>
    AgNewsCsv,
    /// <summary>CSV with a header that names a text and a label column (label 0-3 or a class name).</summary>
    HeaderCsv,
    /// <summary>One JSON object a line: {"text": ..., "label": 0-3 or a class name}.</summary>
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
/// Rows read from one labelled file or several (then <see cref="Path"/> names them all). <see cref="SkippedRows"/> counts bad rows skipped under
/// <see cref="DataReadOptions.SkipBadRows"/>; <see cref="Problems"/> describes the first of them.
/// </summary>
public sealed record LabeledDataset(IReadOnlyList<LabeledText> Rows, int SkippedRows, DataFormat Format, string Path)
{
    public const int MaxProblemsKept = 20;

    public IReadOnlyList<string> Problems { get; init; } = [];

    /// <summary>Rows left out because an earlier file of the same dataset held the same text.</summary>
    public int DuplicateRows { get; init; }

    /// <summary>The files read, in order.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    public int Count => Rows.Count;

    /// <summary>Rows per class index 0..classCount-1.</summary>
    public int[] ClassCounts(int classCount = 4)
    {
        var counts = new int[classCount];
        foreach (var row in Rows) counts[row.Label]++;
        return counts;
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
