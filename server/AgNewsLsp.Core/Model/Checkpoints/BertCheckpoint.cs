using System.Text.Json;
using AgNewsLsp.Native;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace AgNewsLsp.Model.Checkpoints;

/// <summary>
/// A BERT checkpoint folder in Hugging Face layout: config.json, vocab.txt, (tokenizer_config.json),
/// and model.safetensors or pytorch_model.bin (zip or legacy format, <see cref="PyTorchStateDictReader"/>).
/// </summary>
public static class BertCheckpoint
{
    public const string ConfigFile = "config.json";
    public const string VocabFile = "vocab.txt";
    public const string TokenizerConfigFile = "tokenizer_config.json";
    public const string SafetensorsFile = "model.safetensors";
    public const string PytorchFile = "pytorch_model.bin";

    /// <summary>True when the folder has what <see cref="Load"/> needs.</summary>
    public static bool IsCheckpointFolder(string folder) =>
        File.Exists(Path.Combine(folder, ConfigFile)) && File.Exists(Path.Combine(folder, VocabFile)) &&
        (File.Exists(Path.Combine(folder, SafetensorsFile)) || File.Exists(Path.Combine(folder, PytorchFile)));

    public static string WeightsFile(string folder)
    {
        var safetensors = Path.Combine(folder, SafetensorsFile);
        if (File.Exists(safetensors)) return safetensors;
        var pytorch = Path.Combine(folder, PytorchFile);
        if (File.Exists(pytorch)) return pytorch;
        throw new FileNotFoundException($"{folder} holds neither {SafetensorsFile} nor {PytorchFile}.", safetensors);
    }

    /// <summary>Builds a BertModel from the folder's config and loads its weights (frozen, eval mode).</summary>
    public static BertModel Load(string folder)
    {
        TorchRuntime.EnsureInitialized();
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Model folder not found: {folder}");
        var configPath = Path.Combine(folder, ConfigFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{folder} has no {ConfigFile}.", configPath);
        var config = BertConfig.Load(configPath);
        var model = new BertModel(config);
        try
        {
            var weights = WeightsFile(folder);
            Dictionary<string, Tensor> tensors;
            try
            {
                tensors = weights.EndsWith(".safetensors", StringComparison.Ordinal)
                    ? Safetensors.LoadStateDict(weights)
                    : PyTorchStateDictReader.Read(weights, key => Normalize(key) is not null, Describe);
            }
            catch (Exception e) when (e is not OutOfMemoryException and not FileNotFoundException)
            {
                throw new InvalidDataException($"{weights} could not be read as a checkpoint: {e.Message}", e);
            }
            try
            {
                AssignWeights(model, tensors, weights);
            }
            finally
            {
                foreach (var t in tensors.Values) t.Dispose();
            }
            return Freeze(model);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Inference only: eval mode (no dropout) and no gradients.</summary>
    public static BertModel Freeze(BertModel model)
    {
        model.eval();
        foreach (var p in model.parameters()) p.requires_grad = false;
        return model;
    }

    /// <summary>
    /// Copies checkpoint tensors into the model. Accepts the names a BertModel state dict has, with a
    /// "bert." prefix (BertForPreTraining and friends), and the legacy LayerNorm gamma/beta that
    /// Hugging Face itself still accepts. Task heads ("cls.*") and position_ids buffers are ignored.
    /// Missing, mis-shaped or doubled tensors are errors that name them both as the file does and as the model does.
    /// </summary>
    public static void AssignWeights(BertModel model, IReadOnlyDictionary<string, Tensor> checkpoint, string source)
    {
        var byName = new Dictionary<string, (string FileKey, Tensor Tensor)>();
        var doubled = new List<string>();
        foreach (var (key, tensor) in checkpoint)
        {
            var name = Normalize(key);
            if (name is null) continue;
            if (byName.TryGetValue(name, out var first)) doubled.Add($"{first.FileKey} and {key} (both {name})");
            else byName[name] = (key, tensor);
        }
        if (doubled.Count > 0)
            throw new InvalidDataException($"{source} holds the same tensor under two names: {string.Join("; ", doubled.Take(10))}.");

        var fileStyle = FileNaming.Of(checkpoint.Keys);
        var missing = new List<string>();
        var mismatched = new List<string>();
        using var _ = no_grad();
        foreach (var (name, parameter) in model.state_dict())
        {
            if (!byName.Remove(name, out var found))
            {
                missing.Add(fileStyle.Name(name) is var asFile && asFile != name ? $"{asFile} ({name} in the model)" : name);
                continue;
            }
            if (!found.Tensor.shape.SequenceEqual(parameter.shape))
            {
                mismatched.Add($"{Both(found.FileKey, name)}: checkpoint [{string.Join(", ", found.Tensor.shape)}], model [{string.Join(", ", parameter.shape)}]");
                continue;
            }
            using var converted = found.Tensor.to(parameter.dtype); // disposed at once: an undisposed handle would keep the checkpoint's storage alive
            parameter.copy_(converted);
        }
        if (missing.Count > 0 || mismatched.Count > 0)
            throw new InvalidDataException(
                $"{source} does not fit the model described by its config.json." +
                (missing.Count > 0 ? $" Missing tensors: {string.Join(", ", missing)}." : "") +
                (mismatched.Count > 0 ? $" Mismatched shapes: {string.Join("; ", mismatched)}." : ""));
        var unexpected = byName.Where(kv => !kv.Key.EndsWith("position_ids", StringComparison.Ordinal)).Select(kv => Both(kv.Value.FileKey, kv.Key)).ToList();
        if (unexpected.Count > 0)
            throw new InvalidDataException($"{source} holds tensors this BERT has no place for: {string.Join(", ", unexpected.Take(10))}" +
                                           (unexpected.Count > 10 ? $" and {unexpected.Count - 10} more" : "") + ".");
    }

    /// <summary>"bert.x.LayerNorm.beta (x.LayerNorm.bias in the model)", or just the name where both agree.</summary>
    private static string Both(string fileKey, string modelName) => fileKey == modelName ? modelName : $"{fileKey} ({modelName} in the model)";

    /// <summary>A file's key for errors from the reader, with the model's name for it where that differs.</summary>
    private static string Describe(string fileKey) => Normalize(fileKey) is { } name ? Both(fileKey, name) : fileKey;

    /// <summary>How a file names its tensors (prefix, gamma/beta), to name a missing tensor the way the user will look for it.</summary>
    private sealed record FileNaming(bool BertPrefix, bool GammaBeta)
    {
        public static FileNaming Of(IEnumerable<string> keys)
        {
            var list = keys.ToList();
            return new FileNaming(list.Any(k => k.StartsWith("bert.", StringComparison.Ordinal)),
                list.Any(k => k.EndsWith("LayerNorm.gamma", StringComparison.Ordinal) || k.EndsWith("LayerNorm.beta", StringComparison.Ordinal)));
        }

        public string Name(string modelName)
        {
            var name = BertPrefix ? "bert." + modelName : modelName;
            if (GammaBeta && name.EndsWith("LayerNorm.weight", StringComparison.Ordinal)) name = name[..^"weight".Length] + "gamma";
            if (GammaBeta && name.EndsWith("LayerNorm.bias", StringComparison.Ordinal)) name = name[..^"bias".Length] + "beta";
            return name;
        }
    }

    /// <summary>The model's name for a file's key; null for task heads (cls.*), which are not read.</summary>
    public static string? Normalize(string key)
    {
        if (key.StartsWith("cls.", StringComparison.Ordinal)) return null;
        if (key.StartsWith("bert.", StringComparison.Ordinal)) key = key["bert.".Length..];
        if (key.EndsWith(".gamma", StringComparison.Ordinal)) key = key[..^".gamma".Length] + ".weight";
        if (key.EndsWith(".beta", StringComparison.Ordinal)) key = key[..^".beta".Length] + ".bias";
        return key;
    }

    /// <summary>Writes a checkpoint folder in Hugging Face layout (model.safetensors, fp32), atomically as a whole.</summary>
    public static void Save(string folder, BertConfig config, IReadOnlyDictionary<string, Tensor> stateDict, IReadOnlyList<string> vocab, bool lowerCase)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(folder))!;
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(folder)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(staging);
        try
        {
            config.Save(Path.Combine(staging, ConfigFile));
            File.WriteAllText(Path.Combine(staging, VocabFile), string.Join("\n", vocab) + "\n");
            File.WriteAllText(Path.Combine(staging, TokenizerConfigFile),
                JsonSerializer.Serialize(new Dictionary<string, object?> { ["do_lower_case"] = lowerCase, ["strip_accents"] = null, ["model_max_length"] = config.MaxPositionEmbeddings }));
            Safetensors.SaveStateDict(Path.Combine(staging, SafetensorsFile), stateDict.ToDictionary(kv => kv.Key, kv => kv.Value));
            InstallFolder(staging, folder);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>
    /// Moves a fully written staging folder into place. A complete checkpoint already there (another process
    /// converted or downloaded it meanwhile) wins and is never deleted under its readers; only an incomplete
    /// leftover is replaced.
    /// </summary>
    public static void InstallFolder(string staging, string folder)
    {
        if (IsCheckpointFolder(folder)) return;
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        try
        {
            Directory.Move(staging, folder);
        }
        catch (IOException) when (IsCheckpointFolder(folder))
        {
            // Lost the race to an equal copy: fine.
        }
    }
}
