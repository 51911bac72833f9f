using AgNewsLsp.Settings;
using AgNewsLsp.Features;

namespace AgNewsLsp.Tests.Features;

public class FeatureCacheTests
{
    private static FeatureCache Open(string dir) => new(dir, "fp", Pooling.Mean, 128, Precision.Fp32, 3);

    [Fact]
    public void Features_survive_a_reload()
    {
        using var folder = new TempFolder();
        Open(folder.Path).AddRange([("a", [1f, 2f, 3f]), ("b", [4f, 5f, 6f])]);
        var reloaded = Open(folder.Path);
        Assert.Equal(2, reloaded.Count);
        Assert.True(reloaded.TryGet("b", out var b));
        Assert.Equal([4f, 5f, 6f], b);
        Assert.False(reloaded.TryGet("c", out _));
    }

    [Fact]
    public void A_torn_last_record_is_ignored_and_overwritten_so_later_records_stay_aligned()
    {
        using var folder = new TempFolder();
        var cache = Open(folder.Path);
        cache.AddRange([("a", [1f, 2f, 3f])]);
        File.AppendAllText(cache.FilePath, "torn!"); // a crash in the middle of a record

        var afterCrash = Open(folder.Path);
        Assert.Equal(1, afterCrash.Count);
        afterCrash.AddRange([("b", [7f, 8f, 9f])]);

        var reloaded = Open(folder.Path);
        Assert.Equal(2, reloaded.Count);
        Assert.True(reloaded.TryGet("a", out var a));
        Assert.Equal([1f, 2f, 3f], a);
        Assert.True(reloaded.TryGet("b", out var b));
        Assert.Equal([7f, 8f, 9f], b);
        Assert.Equal(0, new FileInfo(cache.FilePath).Length % (16 + 4 * 3));
    }

    [Fact]
    public async Task Concurrent_writers_to_one_file_keep_every_record()
    {
        using var folder = new TempFolder();
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            var cache = Open(folder.Path); // separate instances, as separate processes would have
            for (int i = 0; i < 50; i++) cache.AddRange([($"w{w}-{i}", [w, i, w * i])]);
        })).ToArray();
        await Task.WhenAll(writers);
        var reloaded = Open(folder.Path);
        Assert.Equal(200, reloaded.Count);
        Assert.True(reloaded.TryGet("w3-49", out var f));
        Assert.Equal([3f, 49f, 147f], f);
    }
}
