using System.Text.Json;
using System.Text.Json.Nodes;
using AgNewsLsp.Engine;
using AgNewsLsp.IO;
using AgNewsLsp.Progress;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Server.Cli;

/// <summary>
/// Running a job as shards on a scheduler (docs/scale-out.md): <c>--shard I/N</c> (or <c>--shards N</c> with the index from
/// <c>JOB_COMPLETION_INDEX</c> or <c>SLURM_ARRAY_TASK_ID</c>) on <c>label DIR --recursive</c> and <c>embed</c>, and
/// <c>label --merge PARTS... --out FILE</c>. The rules live in Core (<see cref="Shard"/>, <see cref="ShardRuns"/>,
/// <see cref="ShardMerge"/>); these methods take plain values, so that they do not depend on how options are parsed.
/// </summary>
public sealed partial class CommandLine
{
    /// <summary>The variables that may choose a shard; the rest of the environment is not read.</summary>
    private static IReadOnlyDictionary<string, string> ShardEnvironment() =>
        new[] { Shard.KubernetesIndex, Shard.SlurmTaskId, Shard.SlurmTaskCount, Shard.SlurmTaskMax }
            .Select(name => (name, value: Environment.GetEnvironmentVariable(name)))
            .Where(v => v.value is not null)
            .ToDictionary(v => v.name, v => v.value!);

    /// <summary>
    /// The shard this run is (<c>--shard</c>, <c>--shards</c> and the environment: <see cref="Shard.Select"/>), or null for the
    /// whole job. A sharded run writes a part for a merge, so it needs <paramref name="output"/> to be a file: its manifest goes beside it.
    /// </summary>
    internal static (Shard Shard, string Source)? ShardOption(string? shard, string? shards, string? output,
        IReadOnlyDictionary<string, string> environment)
    {
        (Shard, string)? selected;
        try
        {
            selected = Shard.Select(shard, shards, environment);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message + ".");
        }
        if (selected is null) return null;
        if (output is null)
            throw new UsageException($"a shard writes a part for a later merge: give --out FILE " +
                $"(its manifest is written beside it, FILE{ShardManifest.Suffix}).");
        if (OutputPath.Resolve(output).Kind != OutputKind.Replace)
            throw new UsageException($"a shard's --out must name a file, not a FIFO or device: {output}.");
        return selected;
    }

    private (Shard Shard, string Source)? ShardOption(CommandInput a) =>
        ShardOption(a.Value("shard"), a.Value("shards"), a.Value("out"), ShardEnvironment());

    /// <summary>label DIR --recursive --shard I/N: the shard's rows into the part, then its manifest.</summary>
    private static async Task<FolderSummary> LabelShardAsync(LabelingEngine engine, FolderLabelRequest request, string output,
        FolderOutputFormat format, string source, IProgress<WorkProgress>? progress, CancellationToken ct)
    {
        var (job, headPath) = await ShardRuns.LabelJobAsync(engine, request, format, ct);
        return await ShardRuns.LabelAsync(engine, request, output, w => FolderRowWriters.For(format, w), job, source, headPath, progress,
            ct);
    }

    /// <summary>
    /// embed --shard I/N: the manifest of the vectors just written (called inside their atomic write, after the ids table
    /// and before the vectors are renamed into place).
    /// </summary>
    private static void WriteEmbedManifest(LabelingEngine engine, Shard shard, string source, string output, bool npy,
        Settings.Pooling pooling, int dimension, int rows, (long Bytes, string Sha256) digest, (long Bytes, string Sha256)? idsDigest,
        IReadOnlyList<string> inputFiles, bool lines, int? limit, bool skipBadRows, CancellationToken ct)
    {
        var inputSha256 = ShardRuns.InputSha256Async(inputFiles, ct).GetAwaiter().GetResult();
        new ShardManifest
        {
            Index = shard.Index, Count = shard.Count, ShardFrom = source,
            Job = ShardRuns.EmbedJob(engine.Describe(), npy ? "npy" : "parquet", pooling, dimension, inputSha256, lines, limit,
                skipBadRows),
            Rows = rows, Keys = rows, Bytes = digest.Bytes, Sha256 = digest.Sha256, IdsBytes = idsDigest?.Bytes,
            IdsSha256 = idsDigest?.Sha256, Source = string.Join(", ", inputFiles.Select(Path.GetFullPath)), CreatedUtc = DateTime.UtcNow,
        }.WriteFor(output);
    }

    /// <summary>
    /// A shard's summary as --json prints it: the result of agnews/labelFolder (the server never shards, so the wire type
    /// has no shard) with the shard and its manifest added.
    /// </summary>
    private static string ShardSummaryJson(LabelFolderResult result, Shard shard, string output)
    {
        var node = JsonSerializer.SerializeToNode(result, Json)!.AsObject();
        node["shard"] = shard.ToString();
        node["manifest"] = ShardManifest.PathFor(output);
        return node.ToJsonString(Json);
    }

    /// <summary>
    /// label --merge PART... --out FILE: the parts of a sharded label (or embed) run joined into the file one run writes.
    /// Needs no model: it reads the parts and their manifests only.
    /// </summary>
    private async Task<int> MergeAsync(IReadOnlyList<string> parts, string? output, bool json, CancellationToken ct)
    {
        if (parts.Count == 0) throw new UsageException("--merge needs the parts to join: agnews label --merge PART... --out FILE.");
        if (output is null) throw new UsageException("--merge needs --out FILE: the merged output.");
        MergeSummary summary;
        try
        {
            summary = await ShardMerge.MergeAsync(parts, output, ct);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message + (e.Message.EndsWith('.') ? "" : "."));
        }
        if (json)
        {
            WriteJson(new
            {
                output = summary.Output, command = summary.Job.Command, format = summary.Job.Format, shards = summary.Shards,
                parts = summary.Parts,
                rows = summary.Rows, keys = summary.Keys, skipped = summary.Skipped, job = summary.Job,
                seconds = Math.Round(summary.Elapsed.TotalSeconds, 3),
            });
        }
        else
        {
            var what = summary.Job.Command == "label" ? $"{summary.Keys} files" : $"{summary.Keys} vectors";
            stdout.WriteLine($"Merged {summary.Shards} shards ({summary.Job.Command}, {summary.Job.Format}, model {summary.Job.ModelName}" +
                $"{(summary.Job.HeadSha256 is { } head ? $", head sha256 {head[..12]}" : "")}): {summary.Rows} rows of {what} " +
                $"written to {summary.Output}" +
                $"{(summary.Skipped > 0 ? $"; the shards skipped {summary.Skipped} files (their summaries say why)" : "")}.");
        }
        return Ok;
    }
}
