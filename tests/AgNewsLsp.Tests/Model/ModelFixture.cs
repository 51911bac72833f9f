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

/// <summary>Shapes for tests that need a BERT's layers with random weights, not a checkpoint.</summary>
public static class TestConfigs
{
    /// <summary>Three layers of hidden size 32, four heads, a 100-token vocabulary.</summary>
    public static BertConfig Tiny => BertConfig.MiniLmL6 with
    {
        VocabSize = 100, HiddenSize = 32, NumAttentionHeads = 4, IntermediateSize = 64, NumHiddenLayers = 3
    };
}
