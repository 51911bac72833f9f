using AgNewsLsp.IO;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Serialization;
using AgNewsLsp.Progress;
using AgNewsLsp.Settings;
using AgNewsLsp.Text;

namespace AgNewsLsp.Engine;

/// <summary>The file a folder's labels are written to: one row a line.</summary>
public enum FolderOutputFormat
{
    /// <summary>RFC 4180 CSV with a header.</summary>
    [JsonStringEnumMemberName("csv")] Csv,
    /// <summary>One JSON object a line.</summary>
    [JsonStringEnumMemberName("jsonl")] Jsonl,
}

public static class FolderOutputFormats
{
    public static string Name(this FolderOutputFormat format) => SettingNames.Name(format);

    /// <summary>The format named, else the one the output file's extension names (.csv, .jsonl).</summary>
    public static FolderOutputFormat Parse(string? format, string? outputPath)
    {
        if (!string.IsNullOrWhiteSpace(format)) return SettingNames.Parse<FolderOutputFormat>(format, "format");
        var extension = Path.GetExtension(outputPath ?? "").TrimStart('.');
        foreach (var value in Enum.GetValues<FolderOutputFormat>())
            if (string.Equals(value.Name(), extension, StringComparison.OrdinalIgnoreCase)) return value;
        throw new ArgumentException($"format must be one of {string.Join(", ", SettingNames.All<FolderOutputFormat>())} " +
                                    "(or the output file's extension must name one)");
    }
}

/// <param name="Folder">The folder to walk, with its subfolders.</param>
/// <param name="Globs">Which files under it to label.</param>
/// <param name="Unit">Document (a row a file) or paragraph (a row a file, then a row a paragraph).</param>
public sealed record FolderLabelRequest(string Folder, FileGlobs Globs, TextUnit Unit = TextUnit.Document)
{
    /// <summary>A file larger than this is skipped, not labelled.</summary>
    public long MaxFileBytes { get; init; } = InputLimits.DefaultMaxTextBytes;

    /// <summary>
    /// Only the files of this shard (by their path relative to the folder: <see cref="IO.Shard.Of"/>); null: every file.
    /// Files of other shards are passed over unread and uncounted, as if the globs had not matched them.
    /// </summary>
    public Shard? Shard { get; init; }
}

/// <summary>One labelled piece of a file; lines are 1-based and inclusive.</summary>
public sealed record FolderRow(string File, TextUnit Unit, int StartLine, int EndLine, Prediction Prediction);

/// <summary>Where a folder's rows go (CSV, JSONL): written as each batch finishes, never gathered.</summary>
public interface IFolderRowWriter
{
    /// <summary>Called once: before the first row, or at the end when there is none.</summary>
    void WriteHeader(IReadOnlyList<string> labelNames);
    void WriteRow(FolderRow row);
    /// <summary>Called after each batch, so that a reader of standard output sees rows as they come.</summary>
    void Flush();
}

public sealed record SkippedFile(string File, string Reason);

/// <summary>How many documents and paragraphs got a label.</summary>
public sealed record LabelCount(string Label, int Documents, int Paragraphs);

/// <param name="FilesMatched">Files that the globs matched: labelled or skipped.</param>
/// <param name="SkippedFiles">The first <see cref="FolderLabeler.MaxListedSkips"/> of the skipped files, with the reason.</param>
/// <param name="LabelCounts">Every label of the head, in its order.</param>
public sealed record FolderSummary(
    string Folder,
    TextUnit Unit,
    int FilesMatched,
    int FilesLabeled,
    long Rows,
    int Skipped,
    IReadOnlyList<SkippedFile> SkippedFiles,
    IReadOnlyList<LabelCount> LabelCounts,
    TimeSpan Elapsed)
{
    /// <summary>The file the rows were written to; null when they went to a stream (standard output).</summary>
    public string? OutputPath { get; init; }

    /// <summary>The shard that was labelled (<see cref="FolderLabelRequest.Shard"/>); null for the whole folder.</summary>
    public Shard? Shard { get; init; }
}

/// <summary>
/// Labels the files of a folder: walks it (<see cref="FolderFiles"/>), reads a batch of matching files with the bounded
/// readers, labels them (<see cref="DocumentLabeler"/>) and hands the rows to a writer before the next batch is read, so
/// memory follows the batch, not the folder. A file that cannot be labelled (binary, too large, too little text, a link
/// out of the folder) is skipped with its reason, not a failure of the run.
/// </summary>
/// <remarks>
/// A batch is labelled with <see cref="ILabelingEngine.ClassifyIndependently"/>, so that a row depends on its file alone,
/// not on the files it shared a batch with: a folder labelled in shards (<see cref="FolderLabelRequest.Shard"/>) and
/// merged is byte for byte the folder labelled at once, and a rerun of a shard writes the same bytes. In an ordinary batch
/// a text's probabilities move in their last digits with the batch's shape (its padded width and row count change the
/// order in which the matrix kernels add; the bf16 rounding of the states before the top layers makes that visible in the
/// fourth to sixth decimal). The engine keeps one shape per token length instead, filling short batches with copies: the
/// price is throughput (docs/scale-out.md), which is why a batch holds many files.
/// </remarks>
public static class FolderLabeler
{
    /// <summary>
    /// Files per encoder call: enough for most token lengths to fill the engine's fixed-shape batches (a length's batch
    /// that comes out short is filled with copies), few enough to bound memory and report progress every few seconds.
    /// </summary>
    public const int BatchFiles = 1024;

    /// <summary>A batch also ends at this many characters of text, so that a batch of large files stays bounded.</summary>
    public const long BatchChars = 4L << 20;

    /// <summary>A summary names at most this many skipped files (it counts them all): a summary must stay small.</summary>
    public const int MaxListedSkips = 100;

    /// <summary>Labels the folder into a file, written atomically: a cancelled or failed run leaves no file (or the old one).</summary>
    /// <param name="beforeReplace">
    /// Called once every row is written, with the summary and the length and SHA-256 of the file's bytes, before the file
    /// replaces the output: what it writes atomically itself (a shard's manifest) is in place before the rows are, so a
    /// run stopped between the two leaves a manifest whose digest does not match, never rows without their manifest.
    /// </param>
    public static async Task<FolderSummary> LabelToFileAsync(ILabelingEngine engine, FolderLabelRequest request, string outputPath,
        Func<TextWriter, IFolderRowWriter> writerFor, IProgress<WorkProgress>? progress, CancellationToken cancellationToken,
        Action<FolderSummary, (long Bytes, string Sha256)>? beforeReplace = null)
    {
        var output = Path.GetFullPath(outputPath);
        FolderSummary? summary = null;
        await AtomicFile.WriteAsync(output, async (stream, ct) =>
        {
            await using var digest = new DigestStream(stream);
            await using (var text = new StreamWriter(digest, new UTF8Encoding(false), 1 << 16, leaveOpen: true))
                summary = await LabelAsync(engine, request, writerFor(text), progress, ct,
                    leaveOut: path => IsOutput(path, output));
            beforeReplace?.Invoke(summary with { OutputPath = output }, digest.Digest());
        }, cancellationToken);
        return summary! with { OutputPath = output };
    }

    /// <summary>True when a file found in the walk is the output or its temp file (the folder may be named through a link).</summary>
    private static bool IsOutput(string path, string output)
    {
        var candidate = Path.Combine(Path.GetDirectoryName(output)!, Path.GetFileName(path));
        if (candidate != output && !AtomicFile.IsTempFileOf(candidate, output)) return false;
        return InputFiles.RealPath(Path.GetDirectoryName(path)!) is { } folder
            && folder == InputFiles.RealPath(Path.GetDirectoryName(output)!);
    }

    /// <summary>Labels the folder into <paramref name="writer"/>.</summary>
    /// <param name="leaveOut">Files to pass over unseen (the run's own output, when it lies in the folder).</param>
    public static async Task<FolderSummary> LabelAsync(ILabelingEngine engine, FolderLabelRequest request, IFolderRowWriter writer,
        IProgress<WorkProgress>? progress, CancellationToken cancellationToken, Func<string, bool>? leaveOut = null)
    {
        if (request.Unit is not (TextUnit.Document or TextUnit.Paragraph))
            throw new ArgumentException("unit must be document or paragraph");
        var folder = Path.GetFullPath(request.Folder);
        if (InputFiles.KindOf(folder) != FileKind.Directory) throw new DirectoryNotFoundException($"no such folder: {folder}");
        var clock = Stopwatch.StartNew();

        // A first walk counts the files, so that progress has a total; it lists names only and keeps none.
        progress?.Report(new WorkProgress("listing", 0, 0, "finding files"));
        long total = 0;
        foreach (var _ in InShard(FolderFiles.Enumerate(folder, request.Globs, leaveOut, cancellationToken), request.Shard))
        {
            cancellationToken.ThrowIfCancellationRequested();
            total++;
        }

        var run = new Run(engine, request.Unit, writer);
        var batch = new List<(string File, string Text)>();
        long batchChars = 0, done = 0;
        progress?.Report(new WorkProgress("labelling", 0, total));
        foreach (var file in InShard(FolderFiles.Enumerate(folder, request.Globs, leaveOut, cancellationToken), request.Shard))
        {
            cancellationToken.ThrowIfCancellationRequested();
            run.Matched++;
            var (text, problem) = file.SkipReason is { } reason ? (null, reason)
                : await ReadAsync(file, request.MaxFileBytes, cancellationToken);
            if (text is null)
            {
                run.Skip(file.RelativePath, problem!);
                done++;
                continue;
            }
            batch.Add((file.RelativePath, text));
            batchChars += text.Length;
            if (batch.Count >= BatchFiles || batchChars >= BatchChars)
            {
                run.Label(batch, cancellationToken);
                done += batch.Count;
                batch.Clear();
                batchChars = 0;
                progress?.Report(new WorkProgress("labelling", done, Math.Max(total, done)));
            }
        }
        if (batch.Count > 0)
        {
            run.Label(batch, cancellationToken);
            done += batch.Count;
        }
        run.Finish();
        progress?.Report(new WorkProgress("labelling", done, Math.Max(total, done)));
        return new FolderSummary(folder, request.Unit, run.Matched, run.Labelled, run.Rows, run.Skipped, run.SkippedFiles,
            run.Counts(), clock.Elapsed) { Shard = request.Shard };
    }

    /// <summary>
    /// The shard's files, chosen by the relative path alone before anything is read: the same file falls in the same
    /// shard on every run and machine, whatever else the folder holds. A folder that cannot be listed ("sub/") is reported
    /// by the one shard its path falls in, so a merged summary names it once.
    /// </summary>
    private static IEnumerable<FolderFile> InShard(IEnumerable<FolderFile> files, Shard? shard) =>
        shard is { } s ? files.Where(f => s.Contains(f.RelativePath)) : files;

    /// <summary>A file's text, or why it is skipped.</summary>
    private static async Task<(string? Text, string? Problem)> ReadAsync(FolderFile file, long maxBytes,
        CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await InputFiles.ReadTextAsync(file.FullPath, maxBytes, cancellationToken);
        }
        catch (NotARegularFileException)
        {
            return (null, "not a regular file (a device, FIFO or socket)");
        }
        catch (FileNotFoundException)
        {
            return (null, "it was gone when its turn came");
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return (null, ex.Message.Replace(file.FullPath, "the file", StringComparison.Ordinal));
        }
        if (InputLimits.TextProblem(text, "the file", maxBytes) is { } problem) return (null, problem);
        if (!DocumentLabeler.HasEnoughText(text))
            return (null, $"too little text to label (fewer than {DocumentLabeler.MinimumWordCharacters} letters or digits)");
        return (text, null);
    }

    /// <summary>The 1-based first and last lines that hold more than white space.</summary>
    private static (int First, int Last) TextLines(string document)
    {
        int first = -1, last = -1;
        foreach (var (line, start, length) in Paragraphs.RawLines(document))
        {
            if (document.AsSpan(start, length).IsWhiteSpace()) continue;
            if (first < 0) first = line;
            last = line;
        }
        return (first + 1, last + 1);
    }

    /// <summary>What one run has written and counted so far.</summary>
    private sealed class Run(ILabelingEngine engine, TextUnit unit, IFolderRowWriter writer)
    {
        private IReadOnlyList<string>? labelNames;
        private int[] documents = [], paragraphs = [];
        public int Matched, Labelled, Skipped;
        public long Rows;
        public List<SkippedFile> SkippedFiles { get; } = [];

        public void Skip(string file, string reason)
        {
            Skipped++;
            if (SkippedFiles.Count < MaxListedSkips) SkippedFiles.Add(new SkippedFile(file, reason));
        }

        public void Label(List<(string File, string Text)> batch, CancellationToken cancellationToken)
        {
            var labels = DocumentLabeler.LabelMany(engine, batch.Select(b => b.Text).ToList(), unit, cancellationToken,
                independently: true);
            for (var i = 0; i < batch.Count; i++)
            {
                var (file, text) = batch[i];
                var document = labels[i].Document!; // every file in a batch has enough text
                Header(document.LabelNames);
                var (first, last) = TextLines(text);
                Write(new FolderRow(file, TextUnit.Document, first, last, document), documents);
                foreach (var block in labels[i].Blocks)
                    Write(new FolderRow(file, unit, block.Block.StartLine + 1, block.Block.EndLine + 1, block.Prediction), paragraphs);
                Labelled++;
            }
            writer.Flush();
        }

        private void Header(IReadOnlyList<string> names)
        {
            if (labelNames is not null) return;
            labelNames = names;
            documents = new int[names.Count];
            paragraphs = new int[names.Count];
            writer.WriteHeader(names);
        }

        private void Write(FolderRow row, int[] counts)
        {
            writer.WriteRow(row);
            Rows++;
            if (row.Prediction.LabelIndex >= 0 && row.Prediction.LabelIndex < counts.Length) counts[row.Prediction.LabelIndex]++;
        }

        public void Finish()
        {
            Header(engine.GetStatus().LabelNames ?? []);
            writer.Flush();
        }

        public IReadOnlyList<LabelCount> Counts() =>
            (labelNames ?? []).Select((name, i) => new LabelCount(name, documents[i], paragraphs[i])).ToList();
    }
}
