using AgNewsLsp.Tests.Native;
using AgNewsLsp.Model;
using AgNewsLsp.Model.Checkpoints;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace AgNewsLsp.Tests.Model;

[Collection(EmbeddedModelCollection.Name)]
public class CheckpointTests(EmbeddedModelFixture fixture) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agnews-ckpt-").FullName;
    private static readonly long[] Ids = [101, 1996, 8879, 3786, 1996, 2417, 9175, 102];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string CopyCheckpoint(Func<string, string>? rename = null, bool asPytorchBin = false)
    {
        var folder = Path.Combine(_dir, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        foreach (var f in new[] { BertCheckpoint.ConfigFile, BertCheckpoint.VocabFile, BertCheckpoint.TokenizerConfigFile })
            File.Copy(Path.Combine(fixture.Folder, f), Path.Combine(folder, f));
        var state = fixture.Model.state_dict().ToDictionary(kv => (rename ?? (k => k))(kv.Key), kv => kv.Value);
        if (asPytorchBin) PyTorchPickler.PickleStateDict(Path.Combine(folder, BertCheckpoint.PytorchFile), state);
        else Safetensors.SaveStateDict(Path.Combine(folder, BertCheckpoint.SafetensorsFile), state);
        return folder;
    }

    [Fact]
    public void Hugging_face_layout_round_trip_gives_the_same_outputs()
    {
        OnTorchThread.Run(() =>
        {
            var folder = CopyCheckpoint();
            using var reloaded = BertCheckpoint.Load(folder);
            var a = OnnxParityTests.Run(fixture.Model, Ids);
            var b = OnnxParityTests.Run(reloaded, Ids);
            Assert.Equal(a.Cls, b.Cls);
            Assert.Equal(a.Pooler, b.Pooler);
        });
    }

    [Fact]
    public void Column_major_linear_weights_keep_outputs_names_shapes_and_fingerprint()
    {
        OnTorchThread.Run(() =>
        {
            using var model = BertCheckpoint.Load(fixture.Folder);
            var before = OnnxParityTests.Run(model, Ids);
            var shapes = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
            var fingerprint = AgNewsLsp.Features.ModelIdentity.Fingerprint(model);
            model.UseColumnMajorLinearWeights();
            var after = OnnxParityTests.Run(model, Ids);
            OnnxParityTests.AssertClose(before.Cls, after.Cls, 1e-5);
            OnnxParityTests.AssertClose(before.Mean, after.Mean, 1e-5);
            OnnxParityTests.AssertClose(before.Pooler, after.Pooler, 1e-5);
            Assert.Equal(shapes.Keys.Order(), model.state_dict().Keys.Order());
            foreach (var (name, tensor) in model.state_dict()) Assert.Equal(shapes[name], tensor.shape);
            Assert.False(model.state_dict()["encoder.layer.0.attention.self.query.weight"].is_contiguous());
            Assert.Equal(fingerprint, AgNewsLsp.Features.ModelIdentity.Fingerprint(model));
        });
    }

    [Fact]
    public void Loads_zip_pytorch_bin_with_bert_prefix_and_legacy_layernorm_names()
    {
        OnTorchThread.Run(() =>
        {
            // bert-base-uncased's key names ("bert."-prefixed, LayerNorm.gamma/beta), in torch.save's zip format; its own
            // file is in the legacy format, which TinyBertParityTests covers with files PyTorch wrote.
            var folder = CopyCheckpoint(
                k => "bert." + k.Replace("LayerNorm.weight", "LayerNorm.gamma").Replace("LayerNorm.bias", "LayerNorm.beta"),
                asPytorchBin: true);
            using var reloaded = BertCheckpoint.Load(folder);
            Assert.Equal(OnnxParityTests.Run(fixture.Model, Ids).Mean, OnnxParityTests.Run(reloaded, Ids).Mean);
        });
    }

    [Fact]
    public void Missing_tensor_is_named_in_the_error()
    {
        var folder = CopyCheckpoint();
        var state = Safetensors.LoadStateDict(Path.Combine(folder, BertCheckpoint.SafetensorsFile));
        state.Remove("encoder.layer.2.output.dense.weight");
        Safetensors.SaveStateDict(Path.Combine(folder, BertCheckpoint.SafetensorsFile), state);
        var e = Assert.Throws<InvalidDataException>(() => BertCheckpoint.Load(folder));
        Assert.Contains("encoder.layer.2.output.dense.weight", e.Message);
    }

    [Fact]
    public void Mismatched_config_names_the_mismatched_tensors()
    {
        var folder = CopyCheckpoint();
        File.WriteAllText(Path.Combine(folder, BertCheckpoint.ConfigFile),
            File.ReadAllText(Path.Combine(folder, BertCheckpoint.ConfigFile))
                .Replace("\"intermediate_size\": 1536", "\"intermediate_size\": 1024"));
        var e = Assert.Throws<InvalidDataException>(() => BertCheckpoint.Load(folder));
        Assert.Contains("intermediate.dense.weight", e.Message);
        Assert.Contains("Mismatched", e.Message);
    }

    [Fact]
    public void Corrupt_weights_file_gives_a_clear_error()
    {
        var folder = CopyCheckpoint();
        var path = Path.Combine(folder, BertCheckpoint.SafetensorsFile);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 3)]);
        var e = Assert.Throws<InvalidDataException>(() => BertCheckpoint.Load(folder));
        Assert.Contains(BertCheckpoint.SafetensorsFile, e.Message);
    }

    [Fact]
    public void Missing_folder_and_config_are_clear_errors()
    {
        Assert.Throws<DirectoryNotFoundException>(() => BertCheckpoint.Load(Path.Combine(_dir, "nope")));
        var folder = CopyCheckpoint();
        File.Delete(Path.Combine(folder, BertCheckpoint.ConfigFile));
        var e = Assert.Throws<FileNotFoundException>(() => BertCheckpoint.Load(folder));
        Assert.Contains("config.json", e.Message);
    }
}
