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
            // Tensor by tensor: each is copied into the model and freed before the next is read, so loading holds
            // the weights about once, not twice.
            var assigner = new WeightAssigner(model, weights);
            try
            {
                if (weights.EndsWith(".safetensors", StringComparison.Ordinal))
                    SafetensorsReader.ReadEach(weights, assigner.Add, key => Normalize(key) is not null, Describe);
                else
                    PyTorchStateDictReader.ReadEach(weights, assigner.Add, key => Normalize(key) is not null, Describe);
            }
            catch (Exception e) when (e is not OutOfMemoryException and not FileNotFoundException)
            {
                throw new InvalidDataException($"{weights} could not be read as a checkpoint: {e.Message}", e);
            }
            assigner.Finish();
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
        var assigner = new WeightAssigner(model, source);
        foreach (var (key, tensor) in checkpoint) assigner.Add(key, tensor);
        assigner.Finish();
    }

    /// <summary>Copies tensors into the model as they come, and reports what did not fit once all have come.</summary>
    private sealed class WeightAssigner(BertModel model, string source)
    {
        private readonly Dictionary<string, Tensor> _parameters = model.state_dict();
        private readonly Dictionary<string, string> _assigned = new(); // model name -> the file's key
        private readonly List<string> _fileKeys = [];
        private readonly List<string> _doubled = [];
        private readonly List<string> _mismatched = [];
        private readonly List<string> _unexpected = [];

        public void Add(string key, Tensor tensor)
        {
            var name = Normalize(key);
            if (name is null) return;
            _fileKeys.Add(key);
            if (_assigned.TryGetValue(name, out var first))
            {
                _doubled.Add($"{first} and {key} (both {name})");
                return;
            }
            _assigned[name] = key;
            if (!_parameters.TryGetValue(name, out var parameter))
            {
                if (!name.EndsWith("position_ids", StringComparison.Ordinal)) _unexpected.Add(Both(key, name));
                return;
            }
            if (!tensor.shape.SequenceEqual(parameter.shape))
            {
                _mismatched.Add(
                    $"{Both(key, name)}: checkpoint [{string.Join(", ", tensor.shape)}], model [{string.Join(", ", parameter.shape)}]");
                return;
            }
            using var _ = no_grad();
            using var converted = tensor.to(parameter.dtype); // disposed at once: an undisposed handle would keep the file's storage alive
            parameter.copy_(converted);
        }

        public void Finish()
        {
            if (_doubled.Count > 0)
                throw new InvalidDataException($"{source} holds the same tensor under two names: {string.Join("; ", _doubled.Take(10))}.");
            var fileStyle = FileNaming.Of(_fileKeys);
            var missing = _parameters.Keys.Where(name => !_assigned.ContainsKey(name))
                .Select(name => fileStyle.Name(name) is var asFile && asFile != name ? $"{asFile} ({name} in the model)" : name).ToList();
            if (missing.Count > 0 || _mismatched.Count > 0)
                throw new InvalidDataException(
                    $"{source} does not fit the model described by its config.json." +
                    (missing.Count > 0 ? $" Missing tensors: {string.Join(", ", missing)}." : "") +
                    (_mismatched.Count > 0 ? $" Mismatched shapes: {string.Join("; ", _mismatched)}." : ""));
            if (_unexpected.Count > 0)
                throw new InvalidDataException(
                    $"{source} holds tensors this BERT has no place for: {string.Join(", ", _unexpected.Take(10))}" +
                    (_unexpected.Count > 10 ? $" and {_unexpected.Count - 10} more" : "") + ".");
        }
    }

    /// <summary>"bert.x.LayerNorm.beta (x.LayerNorm.bias in the model)", or just the name where both agree.</summary>
    private static string Both(string fileKey, string modelName) =>
        fileKey == modelName ? modelName : $"{fileKey} ({modelName} in the model)";

    /// <summary>A file's key for errors from the reader, with the model's name for it where that differs.</summary>
    private static string Describe(string fileKey) => Normalize(fileKey) is { } name ? Both(fileKey, name) : fileKey;

    /// <summary>How a file names its tensors (prefix, gamma/beta), to name a missing tensor the way the user will look for it.</summary>
    private sealed record FileNaming(bool BertPrefix, bool GammaBeta)
    {
        public static FileNaming Of(IEnumerable<string> keys)
        {
            var list = keys.ToList();
            return new FileNaming(list.Any(k => k.StartsWith("bert.", StringComparison.Ordinal)),
                list.Any(k => k.EndsWith("LayerNorm.gamma", StringComparison.Ordinal)
                    || k.EndsWith("LayerNorm.beta", StringComparison.Ordinal)));
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
    public static void Save(string folder, BertConfig config, IReadOnlyDictionary<string, Tensor> stateDict, IReadOnlyList<string> vocab,
        bool lowerCase)
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
                JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["do_lower_case"] = lowerCase, ["strip_accents"] = null, ["model_max_length"] = config.MaxPositionEmbeddings
                }));
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
