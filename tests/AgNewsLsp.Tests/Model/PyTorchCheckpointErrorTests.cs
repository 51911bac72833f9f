using System.Text;
using AgNewsLsp.Model.Checkpoints;
using AgNewsLsp.Native;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace AgNewsLsp.Tests.Model;

/// <summary>Damaged, hostile or mis-named pytorch_model.bin files: a clear error that names the file and the tensor.</summary>
public class PyTorchCheckpointErrorTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public PyTorchCheckpointErrorTests() => TorchRuntime.EnsureInitialized();

    public void Dispose() => _temp.Dispose();

    private static void Says(Exception e, string expected) =>
        Assert.True(e.Message.Contains(expected), $"'{expected}' not in: {e.Message}");

    /// <summary>A copy of a tiny-bert fixture folder whose weights file can be changed.</summary>
    private string CopyOf(string form)
    {
        var folder = Path.Combine(_temp.Path, form + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(TinyBertParityTests.Folder(form)))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        return folder;
    }

    /// <summary>The zip fixture's tensors with its own names (bert. prefix, gamma/beta), changed, written back as a zip file.</summary>
    private string ZipWith(Action<Dictionary<string, Tensor>> change)
    {
        var folder = CopyOf("zip");
        var path = Path.Combine(folder, BertCheckpoint.PytorchFile);
        var state = PyTorchStateDictReader.Read(path).ToDictionary(kv => kv.Key, kv => kv.Value.contiguous());
        change(state);
        File.Delete(path); // PyBridge opens the file without truncating it, which would leave the old zip directory at its end
        PyTorchPickler.PickleStateDict(path, state);
        return folder;
    }

    [Fact]
    public void Mismatched_tensor_is_named_as_the_file_and_as_the_model_name_it()
    {
        var folder = ZipWith(s => s["bert.encoder.layer.3.output.LayerNorm.beta"] = zeros(31));
        var e = Assert.Throws<InvalidDataException>(() => BertCheckpoint.Load(folder));
        Says(e,
            "bert.encoder.layer.3.output.LayerNorm.beta (encoder.layer.3.output.LayerNorm.bias in the model): checkpoint [31], model [32]");
    }

    [Fact]
    public void Missing_tensor_is_named_the_way_the_file_would_name_it()
    {
        var folder = ZipWith(s => s.Remove("bert.encoder.layer.2.output.LayerNorm.gamma"));
        var e = Assert.Throws<InvalidDataException>(() => BertCheckpoint.Load(folder));
        Says(e, "Missing tensors: bert.encoder.layer.2.output.LayerNorm.gamma (encoder.layer.2.output.LayerNorm.weight in the model)");
    }

    [Fact]
    public void The_same_tensor_under_two_names_is_refused_not_picked_silently()
    {
        var folder = ZipWith(s => s["pooler.dense.bias"] = zeros(32));
        var e = Assert.Throws<InvalidDataException>(() => BertCheckpoint.Load(folder));
        Says(e, "two names");
        Says(e, "bert.pooler.dense.bias");
    }

    [Fact]
    public void Truncated_legacy_file_is_a_clear_error()
    {
        var folder = CopyOf("legacy");
        var path = Path.Combine(folder, BertCheckpoint.PytorchFile);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length * 2 / 3)]);
        var e = Assert.Throws<InvalidDataException>(() => BertCheckpoint.Load(folder));
        Says(e, path);
        Says(e, "truncated");
    }

    [Fact]
    public void Legacy_storage_count_that_disagrees_with_the_pickle_is_refused_before_allocating()
    {
        var folder = CopyOf("legacy");
        var path = Path.Combine(folder, BertCheckpoint.PytorchFile);
        var bytes = File.ReadAllBytes(path);
        // The word embeddings' storage (vocab x 32 floats) comes first; its int64 count opens the raw data after the pickles.
        int vocab = File.ReadAllLines(Path.Combine(folder, BertCheckpoint.VocabFile)).Length;
        var count = BitConverter.GetBytes((long)vocab * 32);
        int at = bytes.AsSpan().IndexOf(count);
        Assert.True(at > 0);
        BitConverter.GetBytes(1L << 40).CopyTo(bytes, at); // 4 TiB of floats
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => BertCheckpoint.Load(folder));
        Says(e, $"holds {1L << 40} elements, but its pickle says {vocab * 32}");
    }

    [Fact]
    public void A_pickle_that_calls_anything_but_the_tensor_rebuild_functions_is_refused()
    {
        var folder = CopyOf("legacy");
        var path = Path.Combine(folder, BertCheckpoint.PytorchFile);
        var marker = Path.Combine(_temp.Path, "pwned");
        using (var file = File.Create(path))
        {
            // The legacy header (magic number, format version 1001, system info), then os.system("touch ...").
            var magic = System.Numerics.BigInteger.Parse("119547037146038801333356").ToByteArray();
            file.Write([0x80, 0x02, 0x8a, (byte)magic.Length, .. magic, (byte)'.']);
            file.Write([0x80, 0x02, (byte)'M', 0xe9, 0x03, (byte)'.']);
            file.Write([0x80, 0x02, (byte)'}', (byte)'.']);
            file.Write(Encoding.ASCII.GetBytes($"cos\nsystem\n(S'touch {marker}'\ntR."));
        }
        var e = Assert.Throws<InvalidDataException>(() => BertCheckpoint.Load(folder));
        Says(e, "other than tensors");
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void Safetensors_sizes_that_do_not_fit_the_file_are_refused_before_allocating()
    {
        var folder = CopyOf("safetensors");
        var path = Path.Combine(folder, BertCheckpoint.SafetensorsFile);
        var bytes = File.ReadAllBytes(path);
        BitConverter.GetBytes(1L << 40).CopyTo(bytes, 0); // a 1 TiB header
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => BertCheckpoint.Load(folder));
        Says(e, "does not fit the file");

        File.Copy(Path.Combine(TinyBertParityTests.Folder("safetensors"), BertCheckpoint.SafetensorsFile), path, overwrite: true);
        var original = File.ReadAllBytes(path);
        File.WriteAllBytes(path, original[..^100]); // the last tensor's bytes run past the end
        e = Assert.Throws<InvalidDataException>(() => BertCheckpoint.Load(folder));
        Says(e, "data_offsets");
        Says(e, "tensor pooler.dense.weight"); // the last in the file (the fixture script writes names in order)
    }

    [Fact]
    public void A_file_that_is_no_checkpoint_says_so()
    {
        var folder = CopyOf("legacy");
        var path = Path.Combine(folder, BertCheckpoint.PytorchFile);
        File.WriteAllText(path, "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 440473133\n");
        var e = Assert.Throws<InvalidDataException>(() => BertCheckpoint.Load(folder));
        Says(e, "not a PyTorch checkpoint");
    }
}
