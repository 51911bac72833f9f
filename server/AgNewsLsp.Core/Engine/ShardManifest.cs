using System.Text.Json;
using System.Text.Json.Serialization;
using AgNewsLsp.IO;

namespace AgNewsLsp.Engine;

/// <summary>
/// What made a shard's output, field by field; parts of one merge must agree on every field (<see cref="Differences"/>),
/// so that parts made by another model, head, precision or selection of files are refused rather than mixed.
/// A null field does not apply to the command (a head to <c>embed</c>, globs to <c>embed</c>, a pooling to <c>label</c>).
/// </summary>
public sealed record ShardJob
{
    /// <summary>The command whose output this is: <c>label</c> (a folder's rows) or <c>embed</c> (vectors).</summary>
    [JsonPropertyName("command")] public string Command { get; init; } = "";
    /// <summary>The output's format: csv, jsonl (label); parquet, npy (embed).</summary>
    [JsonPropertyName("format")] public string Format { get; init; } = "";
    [JsonPropertyName("modelName")] public string ModelName { get; init; } = "";
    [JsonPropertyName("modelFingerprint")] public string ModelFingerprint { get; init; } = "";
    /// <summary>The precision the encoder ran in (auto resolved): bf16 and fp32 differ in the last digits.</summary>
    [JsonPropertyName("precision")] public string Precision { get; init; } = "";
    [JsonPropertyName("maxTokens")] public int MaxTokens { get; init; }
    /// <summary>
    /// label: libtorch's threads per operation. A text's probabilities are the same in any batch of a run, but another
    /// thread count splits the matrix products otherwise and moves their last digits; so parts made with other counts
    /// are not one run's output (pin --threads where the machines differ).
    /// </summary>
    [JsonPropertyName("threads")] public int? Threads { get; init; }

    /// <summary>
    /// The head: the SHA-256 of its file's bytes (a path says nothing about which head lies there on another machine;
    /// its content does) and its classes, in order.
    /// </summary>
    [JsonPropertyName("headSha256")] public string? HeadSha256 { get; init; }
    [JsonPropertyName("labelNames")] public IReadOnlyList<string>? LabelNames { get; init; }

    // label: which files, and what a row is.
    [JsonPropertyName("unit")] public string? Unit { get; init; }
    [JsonPropertyName("include")] public IReadOnlyList<string>? Include { get; init; }
    [JsonPropertyName("exclude")] public IReadOnlyList<string>? Exclude { get; init; }
    [JsonPropertyName("maxFileBytes")] public long? MaxFileBytes { get; init; }

    // embed: which rows of which input, and the vectors' pooling.
    [JsonPropertyName("pooling")] public string? Pooling { get; init; }
    /// <summary>Floats per vector (the model and pooling decide it; a merge reads parts by it).</summary>
    [JsonPropertyName("dimension")] public int? Dimension { get; init; }
    /// <summary>The input's bytes: every shard must read the same file (its path may differ between machines).</summary>
    [JsonPropertyName("inputSha256")] public string? InputSha256 { get; init; }
    [JsonPropertyName("lines")] public bool? Lines { get; init; }
    [JsonPropertyName("limit")] public int? Limit { get; init; }
    [JsonPropertyName("skipBadRows")] public bool? SkipBadRows { get; init; }

    /// <summary>The fields in which <paramref name="other"/> differs from this job: "name (this value / other value)".</summary>
    public IReadOnlyList<string> Differences(ShardJob other)
    {
        var mine = JsonSerializer.SerializeToElement(this, ShardManifest.Json);
        var theirs = JsonSerializer.SerializeToElement(other, ShardManifest.Json);
        var names = mine.EnumerateObject().Select(p => p.Name).Union(theirs.EnumerateObject().Select(p => p.Name));
        var differences = new List<string>();
        foreach (var name in names)
        {
            var a = mine.TryGetProperty(name, out var x) ? x.GetRawText() : "none";
            var b = theirs.TryGetProperty(name, out var y) ? y.GetRawText() : "none";
            if (a != b) differences.Add($"{name} ({a} / {b})");
        }
        return differences;
    }
}

/// <summary>
/// The file written beside a shard's output (<c>OUT.shard.json</c>): which shard of how many, what made it
/// (<see cref="ShardJob"/>), and the output's length and SHA-256, so that a merge can refuse parts that do not belong
/// together or were changed after their run. A sidecar rather than a column or a comment: a plain CSV or JSONL reader
/// sees the same rows as an unsharded run writes, and the merged file is byte for byte that run's output.
/// </summary>
/// <remarks>
/// It is written atomically just before the output is renamed into place (<see cref="FolderLabeler.LabelToFileAsync"/>),
/// so a run stopped between the two renames leaves a manifest whose digest does not match the output (the merge says to
/// rerun that shard), never an output without its manifest.
/// </remarks>
public sealed record ShardManifest
{
    public const string FormatName = "agnews-shard/1";

    /// <summary>Appended to the output's path to name its manifest.</summary>
    public const string Suffix = ".shard.json";

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    [JsonPropertyName("format")] public string Format { get; init; } = FormatName;
    /// <summary>This part's shard index, from 0.</summary>
    [JsonPropertyName("shard")] public int Index { get; init; }
    [JsonPropertyName("shards")] public int Count { get; init; }
    /// <summary>Where the index came from: --shard, JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID (for a person reading it).</summary>
    [JsonPropertyName("shardFrom")] public string? ShardFrom { get; init; }
    [JsonPropertyName("job")] public ShardJob Job { get; init; } = new();
    /// <summary>Rows written (label: file and paragraph rows; embed: vectors).</summary>
    [JsonPropertyName("rows")] public long Rows { get; init; }
    /// <summary>label: files labelled (skipped files have no row); embed: vectors.</summary>
    [JsonPropertyName("keys")] public long Keys { get; init; }
    /// <summary>label: files of the shard that were skipped, with the reason in the run's summary.</summary>
    [JsonPropertyName("skipped")] public int Skipped { get; init; }
    [JsonPropertyName("bytes")] public long Bytes { get; init; }
    [JsonPropertyName("sha256")] public string Sha256 { get; init; } = "";
    /// <summary>npy only: the ids table beside the vectors (FILE.ids.tsv), which belongs to the part as much as they do.</summary>
    [JsonPropertyName("idsBytes")] public long? IdsBytes { get; init; }
    [JsonPropertyName("idsSha256")] public string? IdsSha256 { get; init; }
    /// <summary>For a person reading it; not compared.</summary>
    [JsonPropertyName("source")] public string? Source { get; init; }
    [JsonPropertyName("createdUtc")] public DateTime CreatedUtc { get; init; }

    [JsonIgnore] public Shard Shard => new(Index, Count);

    public static string PathFor(string output) => Path.GetFullPath(output) + Suffix;

    /// <summary>Writes the manifest of <paramref name="output"/> atomically beside it.</summary>
    public void WriteFor(string output) => AtomicFile.WriteAllText(PathFor(output), JsonSerializer.Serialize(this, Json) + "\n");

    /// <summary>The manifest of the part <paramref name="output"/>; <see cref="InvalidDataException"/> naming the part when it has none or
    /// a bad one.</summary>
    public static ShardManifest ReadFor(string output)
    {
        var path = PathFor(output);
        if (!File.Exists(path))
            throw new InvalidDataException($"{output} has no manifest ({Path.GetFileName(path)} beside it): only outputs of a run with " +
                                           "--shard or --shards can be merged.");
        ShardManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ShardManifest>(InputFiles.ReadBytes(path, MaxManifestBytes).Span, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a shard manifest: {e.Message}", e);
        }
        if (manifest is null || manifest.Format != FormatName)
            throw new InvalidDataException($"{path} is not a shard manifest (expected format '{FormatName}').");
        try
        {
            _ = manifest.Shard;
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}.");
        }
        return manifest;
    }

    /// <summary>A manifest is a few hundred bytes plus the globs; anything this large is not one.</summary>
    private const long MaxManifestBytes = 1 << 20;
}
