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
}
