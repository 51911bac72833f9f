using System.Collections;
using System.Text.Json;
using AgNewsLsp.Native;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace AgNewsLsp.Model.Checkpoints;

/// <summary>
/// A BERT checkpoint folder in Hugging Face layout: config.json, vocab.txt, (tokenizer_config.json),
/// and model.safetensors or pytorch_model.bin. Reads state dicts through TorchSharp.PyBridge.
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
                    : PyTorchUnpickler.UnpickleStateDict(weights).Cast<DictionaryEntry>()
                        .ToDictionary(e => (string)e.Key, e => (Tensor)e.Value!);
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
    /// Missing or mis-shaped tensors are errors that name them.
    /// </summary>
    public static void AssignWeights(BertModel model, IReadOnlyDictionary<string, Tensor> checkpoint, string source)
    {
        var byName = new Dictionary<string, Tensor>();
        foreach (var (key, tensor) in checkpoint)
        {
            var name = Normalize(key);
            if (name is not null) byName[name] = tensor;
        }

        var missing = new List<string>();
        var mismatched = new List<string>();
        using var _ = no_grad();
        foreach (var (name, parameter) in model.state_dict())
        {
            if (!byName.Remove(name, out var source_))
            {
                missing.Add(name);
                continue;
            }
            if (!source_.shape.SequenceEqual(parameter.shape))
            {
                mismatched.Add($"{name}: checkpoint [{string.Join(", ", source_.shape)}], model [{string.Join(", ", parameter.shape)}]");
                continue;
            }
            parameter.copy_(source_.to(parameter.dtype));
        }
        if (missing.Count > 0 || mismatched.Count > 0)
            throw new InvalidDataException(
                $"{source} does not fit the model described by its config.json." +
                (missing.Count > 0 ? $" Missing tensors: {string.Join(", ", missing)}." : "") +
                (mismatched.Count > 0 ? $" Mismatched shapes: {string.Join("; ", mismatched)}." : ""));
        var unexpected = byName.Keys.Where(k => !k.EndsWith("position_ids", StringComparison.Ordinal)).ToList();
        if (unexpected.Count > 0)
            throw new InvalidDataException($"{source} holds tensors this BERT has no place for: {string.Join(", ", unexpected.Take(10))}" +
                                           (unexpected.Count > 10 ? $" and {unexpected.Count - 10} more" : "") + ".");
    }

    private static string? Normalize(string key)
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
