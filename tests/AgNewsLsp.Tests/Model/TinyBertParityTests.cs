using AgNewsLsp.Tests.Native;
using System.Text.Json;
using AgNewsLsp.Features;
using AgNewsLsp.Model;
using AgNewsLsp.Model.Checkpoints;
using AgNewsLsp.Native;
using TorchSharp.PyBridge;
using static TorchSharp.torch;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Tests.Model;

/// <summary>
/// One random-weight tiny BERT written by PyTorch 1.13 in the three forms users have on disk (zip and legacy
/// pytorch_model.bin with BertForPreTraining's names, model.safetensors with BertModel's), and the outputs of a
/// float64 PyTorch forward for a few id sequences (scripts/make-tiny-bert-fixtures.py).
/// </summary>
public class TinyBertParityTests
{
    public static string Root => Path.Combine(AppContext.BaseDirectory, "Fixtures", "tiny-bert");
    public static string Folder(string form) => Path.Combine(Root, form);
    public static readonly string[] Forms = ["zip", "legacy", "safetensors"];
    public static TheoryData<string> FormData => new(Forms);

    public sealed record ReferenceCase(long[] input_ids, double[] cls, double[] mean, double[] pooler, double[][] layer_cls);
    private sealed record ReferenceFile(string made_by, ReferenceCase[] cases);

    private static ReferenceCase[] Reference =>
        JsonSerializer.Deserialize<ReferenceFile>(File.ReadAllText(Path.Combine(Root, "reference.json")))!.cases;

    public TinyBertParityTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void Every_form_loads_to_the_same_fingerprint()
    {
        var fingerprints = Forms.Select(form =>
        {
            using var model = BertCheckpoint.Load(Folder(form));
            return ModelIdentity.Fingerprint(model);
        }).ToList();
        Assert.Single(fingerprints.Distinct());
    }

    [Theory]
    [MemberData(nameof(FormData))]
    public void Every_form_reproduces_the_pytorch_reference(string form)
    {
        OnTorchThread.Run(() =>
        {
            using var model = BertCheckpoint.Load(Folder(form));
            var cases = Reference;
            int width = cases.Max(c => c.input_ids.Length);
            var ids = new long[cases.Length * width];
            var mask = new long[cases.Length * width];
            for (int b = 0; b < cases.Length; b++)
                for (int t = 0; t < cases[b].input_ids.Length; t++)
                {
                    ids[b * width + t] = cases[b].input_ids[t];
                    mask[b * width + t] = 1;
                }

            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var maskTensor = tensor(mask, [cases.Length, width]);
            using var output = model.Forward(tensor(ids, [cases.Length, width]), maskTensor, model.Config.NumHiddenLayers);
            float[][] Pool(Pooling pooling)
            {
                var pooled = PoolingLayer.Apply(pooling, output, maskTensor);
                int dim = (int)pooled.shape[1];
                var flat = pooled.data<float>().ToArray();
                return Enumerable.Range(0, cases.Length).Select(r => flat.AsSpan(r * dim, dim).ToArray()).ToArray();
            }

            var (cls, mean, pooler, last4, meanCls) =
                (Pool(Pooling.Cls), Pool(Pooling.Mean), Pool(Pooling.Pooler), Pool(Pooling.ClsLast4), Pool(Pooling.MeanCls));
            for (int b = 0; b < cases.Length; b++)
            {
                var c = cases[b];
                AssertClose(c.cls, cls[b], $"{form} case {b} cls");
                AssertClose(c.mean, mean[b], $"{form} case {b} mean");
                AssertClose(c.pooler, pooler[b], $"{form} case {b} pooler");
                AssertClose(c.layer_cls.SelectMany(x => x).ToArray(), last4[b], $"{form} case {b} cls-last4");
                AssertClose(c.mean.Concat(c.cls).ToArray(), meanCls[b], $"{form} case {b} mean+cls");
            }
        });
    }

    private static void AssertClose(double[] expected, float[] actual, string what, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst <= tolerance, $"{what}: max abs difference {worst:E2} > {tolerance:E0}");
    }

    [Fact]
    public void Legacy_file_reads_the_same_tensors_as_its_zip_twin_tied_and_offset_views_included()
    {
        var zip = PyTorchStateDictReader.Read(Path.Combine(Folder("zip"), BertCheckpoint.PytorchFile));
        var legacy = PyTorchStateDictReader.Read(Path.Combine(Folder("legacy"), BertCheckpoint.PytorchFile));
        try
        {
            Assert.False(PyTorchStateDictReader.IsZip(Path.Combine(Folder("legacy"), BertCheckpoint.PytorchFile)));
            Assert.Equal(zip.Keys.Order(), legacy.Keys.Order());
            foreach (var (key, value) in zip)
            {
                Assert.Equal(value.shape, legacy[key].shape);
                Assert.True(value.equal(legacy[key]).all().item<bool>(), key);
            }
            // The decoder is tied to the word embeddings; the legacy query/key/value weights are views at offsets of one storage.
            Assert.True(legacy["cls.predictions.decoder.weight"].equal(legacy["bert.embeddings.word_embeddings.weight"])
                .all().item<bool>());
            Assert.NotEqual(0, legacy["bert.encoder.layer.1.attention.self.value.weight"].storage_offset());
        }
        finally
        {
            foreach (var t in zip.Values.Concat(legacy.Values)) t.Dispose();
        }
    }

    [Fact]
    public void Task_heads_are_skipped_without_reading_storages_only_they_use()
    {
        var path = Path.Combine(Folder("legacy"), BertCheckpoint.PytorchFile);
        var read = PyTorchStateDictReader.Read(path, key => BertCheckpoint.Normalize(key) is not null);
        try
        {
            Assert.DoesNotContain(read.Keys, k => k.StartsWith("cls.", StringComparison.Ordinal));
            Assert.Contains("bert.encoder.layer.3.output.LayerNorm.beta", read.Keys);
        }
        finally
        {
            foreach (var t in read.Values) t.Dispose();
        }
    }
}
