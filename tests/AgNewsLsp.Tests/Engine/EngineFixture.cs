using AgNewsLsp.Settings;
using AgNewsLsp.Engine;

namespace AgNewsLsp.Tests.Engine;

/// <summary>
/// One engine on the embedded default for the engine and CLI tests, with a head trained once on the
/// first 3,000 shared train rows (features cached under the test cache, so reruns are quick).
/// </summary>
public sealed class TrainedEngineFixture : IDisposable
{
    public const int TrainRows = 3000;
    public TempFolder Folder { get; } = new();
    public string HeadPath { get; }
    public LabelingEngine Engine { get; }
    public TrainResult FirstTraining { get; }

    public TrainedEngineFixture()
    {
        HeadPath = Path.Combine(Folder.Path, "head.json");
        Engine = LabelingEngine.CreateAsync(new EngineSettings { CacheRoot = TestPaths.TestCache, HeadPath = HeadPath })
            .GetAwaiter().GetResult();
        FirstTraining = Engine.TrainAsync(new TrainRequest([TestPaths.AgNewsTrain], Limit: TrainRows), null, CancellationToken.None)
            .GetAwaiter().GetResult();
    }

    /// <summary>
    /// For a test that loads or trains another head: disposing puts the fixture's head back, also when the test
    /// fails, so that the tests after it see the head they expect.
    /// </summary>
    public IDisposable RestoresHead() => new Restore(() => Engine.UseHead(HeadPath));

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    public void Dispose()
    {
        Engine.Dispose();
        Folder.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class TrainedEngineCollection : ICollectionFixture<TrainedEngineFixture>
{
    public const string Name = "trained engine";
}
