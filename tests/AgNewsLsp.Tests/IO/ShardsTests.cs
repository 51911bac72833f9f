using AgNewsLsp.IO;

namespace AgNewsLsp.Tests.IO;

/// <summary>
/// The shard rule (docs/scale-out.md): parsing I/N, the hash that assigns a key to a shard, and choosing the shard from
/// the options and a scheduler's environment.
/// </summary>
public class ShardsTests
{
    /// <summary>
    /// Computed outside .NET, from the documented formula, in Python:
    /// <c>int(hashlib.sha256(key.encode()).hexdigest()[:16], 16) % n</c>. So the assignment is the formula's, is the same in
    /// every process (string.GetHashCode would not be), and any tool can recompute it.
    /// </summary>
    [Theory]
    [InlineData("a.txt", 2, 2, 52629)]
    [InlineData("notes/2024/b.md", 2, 5, 78853)]
    [InlineData("é/ü.txt", 0, 3, 9954)]
    [InlineData("sub dir/x,y.txt", 0, 4, 18285)]
    [InlineData("17", 0, 4, 79351)] // an embedded row's id
    [InlineData("0", 0, 3, 86040)]
    public void A_key_falls_in_the_shard_the_documented_hash_names(string key, int of3, int of7, int of100000)
    {
        Assert.Equal(of3, Shard.Of(key, 3));
        Assert.Equal(of7, Shard.Of(key, 7));
        Assert.Equal(of100000, Shard.Of(key, 100_000));
        Assert.True(new Shard(of3, 3).Contains(key));
        Assert.Equal(0, Shard.Of(key, 1));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(16)]
    public void Shards_are_disjoint_cover_every_key_and_are_near_even(int count)
    {
        var keys = Enumerable.Range(0, 6000).Select(i => $"d{i % 13}/e{i % 5}/file-{i:D5}.txt").ToList();
        var shards = Enumerable.Range(0, count).Select(i => new Shard(i, count)).ToList();
        foreach (var key in keys) Assert.Single(shards, s => s.Contains(key));
        var sizes = shards.Select(s => keys.Count(s.Contains)).ToList();
        Assert.Equal(keys.Count, sizes.Sum());
        // Similar names spread evenly: no shard more than 15 % off an even share.
        Assert.All(sizes, size => Assert.InRange(size, keys.Count / count * 0.85, keys.Count / count * 1.15));
    }

    [Theory]
    [InlineData("0/1", 0, 1)]
    [InlineData("2/3", 2, 3)]
    [InlineData("99999/100000", 99999, 100000)]
    public void Parse_reads_a_zero_based_index_and_a_count(string spec, int index, int count)
    {
        var shard = Shard.Parse(spec);
        Assert.Equal((index, count), (shard.Index, shard.Count));
        Assert.Equal(spec, shard.ToString());
    }

    [Theory]
    [InlineData("3/3", "0 to 2")] // 0-based: the last of three is 2/3
    [InlineData("1/0", "1 to 100000")]
    [InlineData("0/100001", "1 to 100000")]
    [InlineData("1", "I/N")]
    [InlineData("1/", "I/N")]
    [InlineData("/3", "I/N")]
    [InlineData("-1/3", "I/N")]
    [InlineData("+1/3", "I/N")]
    [InlineData(" 1/3", "I/N")]
    [InlineData("1 / 3", "I/N")]
    [InlineData("1/3/4", "I/N")]
    [InlineData("a/b", "I/N")]
    [InlineData("1.0/3", "I/N")]
    [InlineData("٣/٤", "I/N")] // Arabic-Indic digits are digits to char.IsDigit, not to a shard
    [InlineData("99999999999/3", "I/N")]
    public void Parse_refuses_anything_else_saying_what_a_shard_is(string spec, string reason)
    {
        var e = Assert.Throws<ArgumentException>(() => Shard.Parse(spec));
        Assert.Contains(reason, e.Message);
    }

    private static Dictionary<string, string> Env(params (string Name, string Value)[] values) =>
        values.ToDictionary(v => v.Name, v => v.Value);

    [Fact]
    public void Without_shard_options_the_environment_alone_never_shards_a_run()
    {
        Assert.Null(Shard.Select(null, null, Env((Shard.KubernetesIndex, "2"), (Shard.SlurmTaskId, "1"))));
    }

    [Fact]
    public void The_shard_option_wins_over_the_environment()
    {
        var (shard, source) = Shard.Select("1/4", null, Env((Shard.KubernetesIndex, "3")))!.Value;
        Assert.Equal((new Shard(1, 4), "--shard"), (shard, source));
        Assert.Equal(new Shard(1, 4), Shard.Select("1/4", "4", Env())!.Value.Shard);
        Assert.Contains("disagree", Assert.Throws<ArgumentException>(() => Shard.Select("1/4", "3", Env())).Message);
    }

    [Fact]
    public void Shards_takes_the_index_from_a_kubernetes_indexed_job_before_slurm()
    {
        var selected = Shard.Select(null, "5", Env((Shard.KubernetesIndex, "4"), (Shard.SlurmTaskId, "0")))!.Value;
        Assert.Equal((new Shard(4, 5), Shard.KubernetesIndex), selected);
        Assert.Equal(new Shard(0, 5), Shard.Select(null, "5", Env((Shard.KubernetesIndex, "0")))!.Value.Shard);
    }

    [Fact]
    public void Shards_takes_the_index_from_a_slurm_array_task_as_it_is()
    {
        var full = Env((Shard.SlurmTaskId, "2"), (Shard.SlurmTaskCount, "3"), (Shard.SlurmTaskMax, "2"));
        Assert.Equal((new Shard(2, 3), Shard.SlurmTaskId), Shard.Select(null, "3", full)!.Value);
        // Rerunning one failed task (sbatch --array=2): count 1, min and max 2; still shard 2, not 0.
        var rerun = Env((Shard.SlurmTaskId, "2"), (Shard.SlurmTaskCount, "1"), ("SLURM_ARRAY_TASK_MIN", "2"), (Shard.SlurmTaskMax, "2"));
        Assert.Equal(new Shard(2, 3), Shard.Select(null, "3", rerun)!.Value.Shard);
    }

    [Theory]
    [InlineData("1", "3", "3", "--array=0-2")]       // a 1-based array (--array=1-3), refused in its first task already
    [InlineData("0", "4", "3", "--array=0-2")]       // a larger array than shards
    [InlineData("3", null, null, "--array=0-2")]     // an index past the last shard
    [InlineData("x", null, null, "whole number")]
    [InlineData("-1", null, null, "whole number")]
    public void A_slurm_array_that_does_not_match_the_shards_is_refused_saying_how_to_submit_it(string id, string? count, string? max,
        string reason)
    {
        var env = Env((Shard.SlurmTaskId, id));
        if (count is not null) env[Shard.SlurmTaskCount] = count;
        if (max is not null) env[Shard.SlurmTaskMax] = max;
        Assert.Contains(reason, Assert.Throws<ArgumentException>(() => Shard.Select(null, "3", env)).Message);
    }

    [Theory]
    [InlineData("3", "0 to 2")]
    [InlineData("two", "whole number")]
    [InlineData("1e2", "whole number")]
    public void A_bad_kubernetes_index_is_refused(string index, string reason) =>
        Assert.Contains(reason,
            Assert.Throws<ArgumentException>(() => Shard.Select(null, "3", Env((Shard.KubernetesIndex, index)))).Message);

    [Theory]
    [InlineData("0")]
    [InlineData("-2")]
    [InlineData("three")]
    [InlineData("100001")]
    public void A_bad_shard_count_is_refused(string count) =>
        Assert.Contains("shard count",
            Assert.Throws<ArgumentException>(() => Shard.Select(null, count, Env((Shard.KubernetesIndex, "0")))).Message);

    [Fact]
    public void Shards_without_an_index_anywhere_says_where_it_looked()
    {
        var e = Assert.Throws<ArgumentException>(() => Shard.Select(null, "3", Env(("SLURM_JOB_ID", "7"))));
        Assert.Contains(Shard.KubernetesIndex, e.Message);
        Assert.Contains(Shard.SlurmTaskId, e.Message);
        Assert.Contains("--shard I/3", e.Message);
    }
}
