using AgNewsLsp.Model;
using AgNewsLsp.Model.Checkpoints;
using AgNewsLsp.Native;

namespace AgNewsLsp.Tests.Model;

/// <summary>Converts the embedded default once per test run and shares the loaded model.</summary>
public sealed class EmbeddedModelFixture : IDisposable
{
    public string Folder { get; }
    public BertModel Model { get; }

    public EmbeddedModelFixture()
    {
        TorchRuntime.EnsureInitialized();
        Folder = EmbeddedModel.EnsureConverted(TestPaths.TestCache);
        Model = BertCheckpoint.Load(Folder);
    }

    public void Dispose() => Model.Dispose();
}

[CollectionDefinition(Name)]
public sealed class EmbeddedModelCollection : ICollectionFixture<EmbeddedModelFixture>
{
    public const string Name = "embedded model";
}
