using AgNewsLsp.Engine;
using AgNewsLsp.Evaluation;
using Xunit.Abstractions;

namespace AgNewsLsp.Tests.Engine;

/// <summary>
/// The accuracy bar on the whole 7,600-row test split, after training on all shared train rows.
/// Category FullData: CI runs it once (about two minutes of encoder time on 2 cores with a cold cache).
/// </summary>
[Trait("Category", "FullData")]
public class FullDataTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Head_trained_on_shared_train_data_reaches_85_percent_on_the_full_test_split()
    {
        using var folder = new TempFolder();
        using var engine = await LabelingEngine.CreateAsync(new EngineOptions { CacheRoot = TestPaths.TestCache, HeadPath = Path.Combine(folder.Path, "head.json") });
        var trained = await engine.TrainAsync(new TrainRequest([TestPaths.AgNewsData]), null, CancellationToken.None);
        var report = await engine.EvaluateAsync(new EvaluateRequest([TestPaths.AgNewsTest]), null, CancellationToken.None);
        output.WriteLine($"trained on {trained.TrainCount} (+{trained.ValidationCount} validation) rows");
        output.WriteLine(ReportFormatter.ToText(report));
        Assert.Equal(7600, report.Count);
        Assert.True(report.Accuracy >= 0.85, $"accuracy {report.Accuracy:P2} on the full test split is under 85%");
    }
}
