using AgNewsLsp.Engine;
using AgNewsLsp.Training;

namespace AgNewsLsp.Tests.Engine;

public class ShippedHeadTests
{
    [Fact]
    public async Task The_shipped_head_fits_the_embedded_default_and_labels_right_after_install()
    {
        Assert.True(File.Exists(LabelingEngine.ShippedHeadPath), $"{LabelingEngine.ShippedHeadPath} is not beside the app");
        // A cache with the converted model but no trained head: what a new user has.
        using var engine = await LabelingEngine.CreateAsync(new EngineOptions { CacheRoot = TestPaths.TestCache });
        Assert.Equal(LabelingEngine.ShippedHeadPath, engine.HeadPath);
        var shipped = HeadFile.Load(LabelingEngine.ShippedHeadPath);
        Assert.Equal(engine.Encoder.Fingerprint, shipped.ModelFingerprint);
        Assert.True(shipped.Validation!.Accuracy > 0.85);
        Assert.Equal("Sports", engine.Classify(["Federer beat Nadal in straight sets to win the Wimbledon title."])[0].Label);
    }

    [Fact]
    public async Task A_damaged_cached_head_falls_back_to_the_shipped_one()
    {
        using var cache = new TempFolder();
        // Share the converted model; give this engine its own heads folder.
        await LabelingEngine.CreateAsync(new EngineOptions { CacheRoot = TestPaths.TestCache }).ContinueWith(t => t.Result.Dispose());
        Directory.CreateSymbolicLink(Path.Combine(cache.Path, "models"), Path.Combine(TestPaths.TestCache, "models"));
        var fingerprint = HeadFile.Load(LabelingEngine.ShippedHeadPath).ModelFingerprint;
        Directory.CreateDirectory(Path.Combine(cache.Path, "heads"));
        File.WriteAllText(Path.Combine(cache.Path, "heads", $"{fingerprint}.head.json"), "{ damaged");
        var log = new List<string>();
        using var engine = await LabelingEngine.CreateAsync(new EngineOptions { CacheRoot = cache.Path }, log: new InlineProgress<string>(log.Add));
        Assert.Equal(LabelingEngine.ShippedHeadPath, engine.HeadPath);
        Assert.Contains(log, l => l.StartsWith("Ignoring ") && l.Contains("head.json"));
    }

    [Theory]
    [InlineData("pooling")]
    [InlineData("precision")]
    [InlineData("maxTokens")]
    public async Task Bad_settings_are_refused_when_the_engine_starts(string setting)
    {
        var options = setting switch
        {
            "pooling" => new EngineOptions { CacheRoot = TestPaths.TestCache, Pooling = "median" },
            "precision" => new EngineOptions { CacheRoot = TestPaths.TestCache, Precision = "fp8" },
            _ => new EngineOptions { CacheRoot = TestPaths.TestCache, MaxTokens = 2 },
        };
        var e = await Assert.ThrowsAsync<ArgumentException>(() => LabelingEngine.CreateAsync(options));
        Assert.Contains(setting == "maxTokens" ? "maxTokens" : setting == "pooling" ? "median" : "fp8", e.Message);
    }
}
