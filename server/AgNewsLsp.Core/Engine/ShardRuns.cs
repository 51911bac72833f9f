using AgNewsLsp.IO;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Engine;

/// <summary>
/// One shard of a job, run to a part that <see cref="ShardMerge"/> can join: the output (written atomically, as
/// every output) and its manifest beside it (<see cref="ShardManifest"/>), which records what made it.
/// </summary>
public static class ShardRuns
{
    /// <summary>
    /// What labelling <paramref name="request"/> with this engine depends on (<see cref="LabelJob"/>), its head named by the
    /// SHA-256 of its file (read now: pass the path to <see cref="LabelAsync"/>, which reads it again at the end).
    /// </summary>
    public static async Task<(ShardJob Job, string HeadPath)> LabelJobAsync(LabelingEngine engine, FolderLabelRequest request,
        FolderOutputFormat format, CancellationToken cancellationToken)
    {
        var headPath = engine.GetStatus().HeadPath ?? throw new NoHeadException(engine.ResolvedModel.Name);
        var headSha256 = (await DigestStream.OfFileAsync(headPath, cancellationToken)).Sha256;
        return (LabelJob(engine.Describe(), headSha256, request, format), headPath);
    }

    /// <summary>
    /// Labels <paramref name="request"/>'s shard of the folder into <paramref name="output"/> and writes its manifest,
    /// which records <paramref name="job"/>. When <paramref name="headPath"/> is given its file is read again before the
    /// part is put in place: a head file replaced during the run (a training run saving into it) fails this shard rather
    /// than let it claim a head it may not have used.
    /// </summary>
    public static Task<FolderSummary> LabelAsync(ILabelingEngine engine, FolderLabelRequest request, string output,
        Func<TextWriter, IFolderRowWriter> writerFor, ShardJob job, string shardFrom, string? headPath,
        IProgress<Progress.WorkProgress>? progress, CancellationToken cancellationToken)
    {
        var shard = request.Shard ?? throw new ArgumentException("a shard run needs the shard in its request");
        return FolderLabeler.LabelToFileAsync(engine, request, output, writerFor, progress, cancellationToken, (summary, digest) =>
        {
            if (headPath is not null
                && DigestStream.OfFileAsync(headPath, cancellationToken).GetAwaiter().GetResult().Sha256 != job.HeadSha256)
                throw new IOException($"the head file {headPath} changed during the run; run shard {shard} again.");
            new ShardManifest
            {
                Index = shard.Index, Count = shard.Count, ShardFrom = shardFrom, Job = job, Rows = summary.Rows,
                Keys = summary.FilesLabeled,
                Skipped = summary.Skipped, Bytes = digest.Bytes, Sha256 = digest.Sha256, Source = summary.Folder,
                CreatedUtc = DateTime.UtcNow,
            }.WriteFor(output);
        });
    }

    /// <summary>What a folder's labelling depends on, besides the files themselves.</summary>
    public static ShardJob LabelJob(ModelInfo model, string headSha256, FolderLabelRequest request, FolderOutputFormat format) => new()
    {
        Command = "label",
        Format = format.Name(),
        ModelName = model.Model,
        ModelFingerprint = model.Fingerprint,
        Precision = model.Precision.Name(),
        MaxTokens = model.MaxTokens,
        Threads = model.Threads,
        HeadSha256 = headSha256,
        LabelNames = model.LabelNames,
        Unit = SettingNames.Name(request.Unit),
        Include = request.Globs.Include,
        Exclude = request.Globs.Exclude,
        MaxFileBytes = request.MaxFileBytes,
    };

    /// <summary>What embedding a file's rows depends on, besides the rows themselves.</summary>
    public static ShardJob EmbedJob(ModelInfo model, string format, Pooling pooling, int dimension, string inputSha256, bool lines,
        int? limit, bool skipBadRows) => new()
    {
        Command = "embed",
        Format = format,
        ModelName = model.Model,
        ModelFingerprint = model.Fingerprint,
        Precision = model.Precision.Name(),
        MaxTokens = model.MaxTokens,
        Pooling = pooling.Name(),
        Dimension = dimension,
        InputSha256 = inputSha256,
        Lines = lines,
        Limit = limit,
        SkipBadRows = skipBadRows,
    };

    /// <summary>
    /// The SHA-256 of the input files an embed run read (of their digests, one a line, when a folder meant several), so
    /// that shards reading different data are not merged.
    /// </summary>
    public static async Task<string> InputSha256Async(IReadOnlyList<string> files, CancellationToken cancellationToken)
    {
        var digests = new List<string>();
        foreach (var file in files) digests.Add((await DigestStream.OfFileAsync(file, cancellationToken)).Sha256);
        return digests.Count == 1
            ? digests[0]
            : Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
                System.Text.Encoding.UTF8.GetBytes(string.Concat(digests.Select(d => d + "\n")))));
    }
}
