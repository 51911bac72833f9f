using AgNewsLsp.Engine;
using AgNewsLsp.Evaluation;
using Xunit.Abstractions;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Tests.Engine;

/// <summary>
/// The accuracy bars on the whole 7,600-row test split: the shipped head (hybrid+layers, trained by
/// scripts/train-default-head.sh), and the default head kind trained here on all shared train rows (every train* file
/// of the data folder: 45,578 texts). They run with every other test (scripts/test-all.sh).
/// </summary>
public class FullDataTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_shipped_head_reaches_93_percent_on_the_full_test_split()
    {
        using var engine = await LabelingEngine.CreateAsync(new EngineSettings { CacheRoot = TestPaths.TestCache });
        Assert.Equal(LabelingEngine.ShippedHeadPath, engine.HeadPath);
        Assert.Equal(HeadKind.HybridLayers, engine.HeadDescription!.Kind);
        var report = await engine.EvaluateAsync(new EvaluateRequest([TestPaths.AgNewsTest]), null, CancellationToken.None);
        output.WriteLine($"the shipped head, {engine.Encoder.Precision.Name()} encoder:");
        output.WriteLine(ReportFormatter.ToText(report));
        Assert.Equal(7600, report.Count);
        Assert.True(report.Accuracy >= 0.93, $"accuracy {report.Accuracy:P2} on the full test split is under 93%");
        Assert.True(report.MacroF1 >= 0.93, $"macro-F1 {report.MacroF1:P2} on the full test split is under 93%");
    }

    [Fact]
    public async Task Default_head_trained_on_all_shared_train_rows_reaches_91_percent_on_the_full_test_split()
    {
        using var folder = new TempFolder();
        using var engine = await LabelingEngine.CreateAsync(
            new EngineSettings { CacheRoot = TestPaths.TestCache, HeadPath = Path.Combine(folder.Path, "head.json") });
        var trained = await engine.TrainAsync(new TrainRequest([TestPaths.AgNewsData]), null, CancellationToken.None);
        var report = await engine.EvaluateAsync(new EvaluateRequest([TestPaths.AgNewsTest]), null, CancellationToken.None);
        output.WriteLine($"trained a {trained.HeadKind} head on {trained.TrainCount} (+{trained.ValidationCount} validation) rows " +
            $"from {string.Join(", ", trained.Files)}");
        Assert.Equal(HeadKinds.Default, trained.HeadKind);
        Assert.Equal(45578, trained.TrainCount + trained.ValidationCount);
        output.WriteLine(ReportFormatter.ToText(report));
        Assert.Equal(7600, report.Count);
        Assert.True(report.Accuracy >= 0.91, $"accuracy {report.Accuracy:P2} on the full test split is under 91%");
        Assert.True(report.MacroF1 >= 0.91, $"macro-F1 {report.MacroF1:P2} on the full test split is under 91%");
    }
}
