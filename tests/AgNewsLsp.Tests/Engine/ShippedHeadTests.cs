using AgNewsLsp.Model;
using AgNewsLsp.Engine;
using AgNewsLsp.Training;
using AgNewsLsp.Progress;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Tests.Engine;

public class ShippedHeadTests
{
    [Fact]
    public async Task The_shipped_head_fits_the_embedded_default_and_labels_right_after_install()
    {
        Assert.True(File.Exists(LabelingEngine.ShippedHeadPath), $"{LabelingEngine.ShippedHeadPath} is not beside the app");
        // A cache with the converted model but no trained head: what a new user has.
        using var engine = await LabelingEngine.CreateAsync(new EngineSettings { CacheRoot = TestPaths.TestCache });
        Assert.Equal(LabelingEngine.ShippedHeadPath, engine.HeadPath);
        var shipped = HeadFile.Load(LabelingEngine.ShippedHeadPath);
        Assert.Equal(engine.Encoder.Fingerprint, shipped.ModelFingerprint);
        Assert.True(shipped.Validation!.Accuracy > 0.85);
        // Labels right on real news, not on one chosen sentence: the first 200 rows of the test split, one at a time
        // as hovers ask (the full split's bar is FullDataTests').
        var rows = AgNewsLsp.Data.LabeledDataReader.ReadSplit([TestPaths.AgNewsTest], "test",
            new AgNewsLsp.Data.DataReadOptions(false, 200)).Rows;
        int right = rows.Count(r => engine.Classify([r.Text])[0].LabelIndex == r.Label);
        Assert.True(right >= 0.88 * rows.Count, $"{right} of {rows.Count} test rows labelled right");
    }

    [Fact]
    public async Task A_damaged_cached_head_falls_back_to_the_shipped_one()
    {
        using var cache = new TempFolder();
        // Share the converted model; give this engine its own heads folder.
        await LabelingEngine.CreateAsync(new EngineSettings { CacheRoot = TestPaths.TestCache }).ContinueWith(t => t.Result.Dispose());
        Directory.CreateSymbolicLink(Path.Combine(cache.Path, "models"), Path.Combine(TestPaths.TestCache, "models"));
        var fingerprint = HeadFile.Load(LabelingEngine.ShippedHeadPath).ModelFingerprint;
        Directory.CreateDirectory(CacheFolders.Heads(cache.Path));
        File.WriteAllText(Path.Combine(CacheFolders.Heads(cache.Path), $"{fingerprint}.head.json"), "{ damaged");
        var log = new List<string>();
        using var engine = await LabelingEngine.CreateAsync(new EngineSettings { CacheRoot = cache.Path },
            log: new InlineProgress<string>(log.Add));
        Assert.Equal(LabelingEngine.ShippedHeadPath, engine.HeadPath);
        Assert.Contains(log, l => l.StartsWith("Ignoring ") && l.Contains("head.json"));
    }

    [Fact]
    public async Task A_damaged_configured_head_is_refused_at_start_with_the_files_own_error()
    {
        // The configured head is read while the model loads: its error must still be the file's, not a task's.
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "mine.head.json");
        File.WriteAllText(path, "{ damaged");
        var e = await Assert.ThrowsAsync<InvalidDataException>(() =>
            LabelingEngine.CreateAsync(new EngineSettings { CacheRoot = TestPaths.TestCache, HeadPath = path }));
        Assert.Contains("not a head file", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public async Task A_bad_token_count_is_refused_when_the_engine_starts()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            LabelingEngine.CreateAsync(new EngineSettings { CacheRoot = TestPaths.TestCache, MaxTokens = 2 }));
        Assert.Contains("maxTokens", e.Message);
    }

    [Fact]
    public void Bad_pooling_and_precision_names_are_refused_where_they_are_parsed()
    {
        Assert.Contains("median", Assert.Throws<ArgumentException>(() => Poolings.Parse("median")).Message);
        Assert.Contains("fp8", Assert.Throws<ArgumentException>(() => Precisions.Parse("fp8")).Message);
        Assert.Equal(Pooling.MeanCls, Poolings.Parse(" MEAN+cls "));
        Assert.Equal(Precision.Bf16, Precisions.Parse("bfloat16"));
    }
}
