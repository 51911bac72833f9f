using AgNewsLsp.Tests.Native;
using System.Text.Json;
using AgNewsLsp.Model;
using AgNewsLsp.Model.Checkpoints;
using static TorchSharp.torch;

namespace AgNewsLsp.Tests.Model;

[Collection(EmbeddedModelCollection.Name)]
public class OnnxParityTests(EmbeddedModelFixture fixture)
{
    public sealed record ReferenceCase(string text, long[] input_ids, float[] cls_last_hidden_state, float[] mean_last_hidden_state,
        float[] pooler_output);
    private sealed record ReferenceFile(string model, string reference, ReferenceCase[] cases);

    public static IEnumerable<object[]> Cases() =>
        JsonSerializer.Deserialize<ReferenceFile>(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "minilm-onnxruntime-reference.json")))!
            .cases.Select(c => new object[] { c });

    internal static (float[] Cls, float[] Mean, float[] Pooler) Run(BertModel model, long[] ids)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var input = tensor(ids).unsqueeze(0);
        using var output = model.Forward(input, ones_like(input), 0);
        return (output.LastHiddenState[0, 0].data<float>().ToArray(),
                output.LastHiddenState[0].mean([0]).data<float>().ToArray(),
                output.PoolerOutput[0].data<float>().ToArray());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Imported_embedded_default_matches_onnx_runtime(ReferenceCase reference)
    {
        OnTorchThread.Run(() =>
        {
            var (cls, mean, pooler) = Run(fixture.Model, reference.input_ids);
            AssertClose(reference.cls_last_hidden_state, cls);
            AssertClose(reference.mean_last_hidden_state, mean);
            AssertClose(reference.pooler_output, pooler);
        });
    }

    internal static void AssertClose(float[] expected, float[] actual, double tolerance = 1e-4)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst <= tolerance, $"max abs difference {worst:E2} > {tolerance:E0}");
    }

    [Fact]
    public void Every_parameter_was_imported_and_named_from_the_graph()
    {
        var graph = OnnxGraph.Parse(EmbeddedPackage.Locate().ReadModelOnnx());
        var weights = OnnxBertImporter.ReadWeights(graph);
        using var model = new BertModel(BertConfig.MiniLmL6);
        Assert.Equal(model.state_dict().Keys.OrderBy(k => k), weights.Keys.OrderBy(k => k));
        // The query weight is the transpose of the anonymous MatMul operand that feeds the query bias.
        var q = weights["encoder.layer.0.attention.self.query.weight"];
        Assert.Equal(new long[] { 384, 384 }, q.Shape);
        var inter = weights["encoder.layer.0.intermediate.dense.weight"];
        Assert.Equal(new long[] { 1536, 384 }, inter.Shape);
    }
}
