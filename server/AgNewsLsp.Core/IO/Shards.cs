using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AgNewsLsp.IO;

/// <summary>
/// One of <see cref="Count"/> disjoint parts of a job: shard <see cref="Index"/> (from 0) of <see cref="Count"/>. A key
/// (a file's path relative to the labelled folder, or an embedded row's id) belongs to exactly one shard, decided by its
/// text alone (<see cref="Of"/>), so shards are disjoint, cover every key, and a rerun of the same command on any
/// machine picks the same keys. This is the one place the rule is written; docs/scale-out.md quotes it.
/// </summary>
/// <remarks>
/// The index is 0-based because Kubernetes' <c>JOB_COMPLETION_INDEX</c> is; a Slurm array therefore runs
/// <c>--array=0-(N-1)</c> (see <see cref="Select"/> for how a 1-based array is caught).
/// </remarks>
public readonly record struct Shard
{
    /// <summary>
    /// More shards than this is a typo, not a cluster (a Kubernetes Indexed Job allows 100,000 completions; one 2-core box
    /// labels about a hundred files a second, so ten thousand boxes is already a very large job).
    /// </summary>
    public const int MaxCount = 100_000;

    public int Index { get; }
    public int Count { get; }

    public Shard(int index, int count)
    {
        if (count < 1 || count > MaxCount) throw new ArgumentException($"the shard count must be 1 to {MaxCount}, not {count}");
        if (index < 0 || index >= count)
            throw new ArgumentException($"the shard index must be 0 to {count - 1} (shards are numbered from 0), not {index}");
        (Index, Count) = (index, count);
    }

    /// <summary>"I/N", as the command line takes and prints it.</summary>
    public override string ToString() => $"{Index.ToString(CultureInfo.InvariantCulture)}/{Count.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Parses "I/N" (digits only, no spaces or signs): shard I of N, 0 &lt;= I &lt; N. Throws
    /// <see cref="ArgumentException"/> with the reason, which the command line reports as a usage error.
    /// </summary>
    public static Shard Parse(string spec)
    {
        var slash = spec.IndexOf('/');
        if (slash < 0 || !Digits(spec.AsSpan(0, slash)) || !Digits(spec.AsSpan(slash + 1)))
            throw new ArgumentException($"a shard is I/N with whole numbers, the index from 0 (0/4 to 3/4 for four shards), not '{spec}'");
        if (!int.TryParse(spec.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out var index) ||
            !int.TryParse(spec.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            throw new ArgumentException($"the shard '{spec}' has a number too large (at most {MaxCount} shards)");
        return new Shard(index, count);
    }

    /// <summary>Parses a shard count (the command line's <c>--shards N</c>).</summary>
    public static int ParseCount(string value) =>
        Digits(value) && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxCount
            ? n
            : throw new ArgumentException($"the shard count must be a whole number from 1 to {MaxCount}, not '{value}'");

    private static bool Digits(ReadOnlySpan<char> s) => s.Length is > 0 and <= 9 && !s.ContainsAnyExceptInRange('0', '9');

    /// <summary>True when <paramref name="key"/> belongs to this shard.</summary>
    public bool Contains(string key) => Of(key, Count) == Index;

    /// <summary>
    /// The shard of <paramref name="key"/> among <paramref name="count"/>: the first 8 bytes of the SHA-256 of its UTF-8,
    /// read as a big-endian unsigned 64-bit number, modulo the count. In Python:
    /// <c>int(hashlib.sha256(key.encode()).hexdigest()[:16], 16) % count</c>. A cryptographic hash rather than
    /// <c>string.GetHashCode</c> (randomised per process, so two runs would disagree) or a short hash such as FNV (whose low
    /// bits follow similar names closely): any tool can recompute it, and similar paths spread evenly. Its cost is nothing
    /// beside encoding a file.
    /// </summary>
    public static int Of(string key, int count)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var bytes = Encoding.UTF8.GetBytes(key);
        SHA256.HashData(bytes, hash);
        return (int)(BinaryPrimitives.ReadUInt64BigEndian(hash) % (ulong)count);
    }

    /// <summary>The key of an embedded row: its id (line number or data row) in decimal, as the ids column writes it.</summary>
    public static string RowKey(long id) => id.ToString(CultureInfo.InvariantCulture);

    /// <summary>Kubernetes Indexed Jobs set this in each pod: the pod's index, from 0.</summary>
    public const string KubernetesIndex = "JOB_COMPLETION_INDEX";

    /// <summary>Slurm job arrays set these in each task.</summary>
    public const string SlurmTaskId = "SLURM_ARRAY_TASK_ID", SlurmTaskCount = "SLURM_ARRAY_TASK_COUNT",
        SlurmTaskMax = "SLURM_ARRAY_TASK_MAX";

    /// <summary>
    /// Which shard a run is, from the command line's <c>--shard I/N</c> and <c>--shards N</c> and the environment (passed in, so
    /// that the rule is testable): null when neither option is given (the whole job; the environment alone never shards a
    /// run, so a command run by hand inside an array task is not cut short). <c>--shard</c> wins; with <c>--shards N</c> alone
    /// the index is <c>JOB_COMPLETION_INDEX</c>, else <c>SLURM_ARRAY_TASK_ID</c>. Throws <see cref="ArgumentException"/> with
    /// the reason (a usage error).
    /// </summary>
    /// <remarks>
    /// Slurm: the task id is the shard index as it is, so the array must be <c>--array=0-(N-1)</c>. The id is not offset by
    /// <c>SLURM_ARRAY_TASK_MIN</c>: rerunning one failed task (<c>sbatch --array=2</c>) has a minimum of 2, and must still be
    /// shard 2. A 1-based array (<c>--array=1-N</c>) is refused in every task, not only the last, by its
    /// <c>SLURM_ARRAY_TASK_MAX</c> of N; an array larger than N by <c>SLURM_ARRAY_TASK_COUNT</c>. A rerun of a few tasks has a
    /// smaller count and maximum, which is fine.
    /// </remarks>
    public static (Shard Shard, string Source)? Select(string? shardOption, string? shardsOption,
        IReadOnlyDictionary<string, string> environment)
    {
        int? count = shardsOption is null ? null : ParseCount(shardsOption);
        if (shardOption is not null)
        {
            var shard = Parse(shardOption);
            if (count is { } n && n != shard.Count)
                throw new ArgumentException($"--shard {shard} and --shards {n} disagree on the number of shards");
            return (shard, "--shard");
        }
        if (count is not { } total) return null;
        if (Value(environment, KubernetesIndex) is { } k8s)
            return (new Shard(EnvironmentIndex(KubernetesIndex, k8s, total), total), KubernetesIndex);
        if (Value(environment, SlurmTaskId) is { } slurm)
        {
            if (Value(environment, SlurmTaskMax) is { } max && int.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out var m)
                && m >= total)
                throw new ArgumentException($"the Slurm array runs to task {m}, but there are {total} shards numbered from 0: " +
                                            $"submit it with --array=0-{total - 1}");
            if (Value(environment, SlurmTaskCount) is { } tasks
                && int.TryParse(tasks, NumberStyles.None, CultureInfo.InvariantCulture, out var c) && c > total)
                throw new ArgumentException($"the Slurm array has {c} tasks but --shards is {total}: submit it with --array=0-{total - 1}");
            return (new Shard(EnvironmentIndex(SlurmTaskId, slurm, total), total), SlurmTaskId);
        }
        throw new ArgumentException($"--shards {total} takes the shard index from {KubernetesIndex} (a Kubernetes Indexed Job) or " +
                                    $"{SlurmTaskId} (a Slurm array), and neither is set; give --shard I/{total} instead");
    }

    private static string? Value(IReadOnlyDictionary<string, string> environment, string name) =>
        environment.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static int EnvironmentIndex(string name, string value, int count)
    {
        if (!Digits(value) || !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            throw new ArgumentException($"{name} must be a whole number, not '{value}'");
        if (index >= count)
            throw new ArgumentException($"{name} is {index}, but there are {count} shards numbered 0 to {count - 1}" +
                                        (name == SlurmTaskId ? $": submit the array with --array=0-{count - 1}" : ""));
        return index;
    }
}
