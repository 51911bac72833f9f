using System.Text.Json;
using System.Text.Json.Serialization;
using AgNewsLsp.Engine;
using AgNewsLsp.Evaluation;
using AgNewsLsp.Native;
using static TorchSharp.torch;

namespace AgNewsLsp.Training;

/// <summary>
/// A trained head on disk: its weights and everything needed to use it correctly: which model (by
/// content fingerprint) and pooling it belongs to, label names, max tokens, and its metrics.
/// JSON, small (a few hundred KB), written atomically.
/// </summary>
public sealed record HeadFile
{
    public const string FormatName = "agnews-head/1";

    [JsonPropertyName("format")] public string Format { get; init; } = FormatName;
    [JsonPropertyName("kind")] public HeadKind Kind { get; init; }
    [JsonPropertyName("modelName")] public string ModelName { get; init; } = "";
    [JsonPropertyName("modelFingerprint")] public string ModelFingerprint { get; init; } = "";
    [JsonPropertyName("pooling")] public string Pooling { get; init; } = "";
    [JsonPropertyName("maxTokens")] public int MaxTokens { get; init; }
    [JsonPropertyName("precision")] public string Precision { get; init; } = "";
    [JsonPropertyName("labelNames")] public string[] LabelNames { get; init; } = [];
    [JsonPropertyName("inputSize")] public int InputSize { get; init; }
    [JsonPropertyName("hiddenSize")] public int HiddenSize { get; init; }
    [JsonPropertyName("tensors")] public Dictionary<string, HeadTensor> Tensors { get; init; } = new();
    [JsonPropertyName("validation")] public EvaluationReport? Validation { get; init; }
    [JsonPropertyName("history")] public EpochStats[] History { get; init; } = [];
    [JsonPropertyName("trainedOn")] public string? TrainedOn { get; init; }
    [JsonPropertyName("trainCount")] public int TrainCount { get; init; }
    [JsonPropertyName("seed")] public int Seed { get; init; }
    [JsonPropertyName("createdUtc")] public DateTime CreatedUtc { get; init; }

    public sealed record HeadTensor([property: JsonPropertyName("shape")] long[] Shape, [property: JsonPropertyName("data")] float[] Data);

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static HeadFile FromHead(ClassifierHead head, HeadFile metadata) => metadata with
    {
        Kind = head.Kind,
        InputSize = head.InputSize,
        HiddenSize = head.HiddenSize,
        Tensors = head.state_dict().ToDictionary(kv => kv.Key, kv =>
        {
            using var values = kv.Value.to(ScalarType.Float32);
            return new HeadTensor(kv.Value.shape, values.data<float>().ToArray());
        }),
    };

    public ClassifierHead CreateHead()
    {
        TorchRuntime.EnsureInitialized();
        var head = new ClassifierHead(Kind, InputSize, LabelNames.Length, Math.Max(HiddenSize, 1));
        try
        {
            var state = head.state_dict();
            var missing = state.Keys.Except(Tensors.Keys).ToList();
            if (missing.Count > 0) throw new InvalidDataException($"Head file lacks tensors: {string.Join(", ", missing)}.");
            using var _ = no_grad();
            foreach (var (name, parameter) in state)
            {
                var stored = Tensors[name];
                if (!stored.Shape.SequenceEqual(parameter.shape))
                    throw new InvalidDataException($"Head tensor {name} has shape [{string.Join(",", stored.Shape)}], expected [{string.Join(",", parameter.shape)}].");
                if (stored.Data.Length != stored.Shape.Aggregate(1L, (a, b) => a * b))
                    throw new InvalidDataException($"Head tensor {name} holds {stored.Data.Length} values for shape [{string.Join(",", stored.Shape)}].");
                using var values = tensor(stored.Data, stored.Shape);
                parameter.copy_(values);
            }
            head.eval();
            return head;
        }
        catch
        {
            head.Dispose();
            throw;
        }
    }

    public void Save(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    public static HeadFile Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Head file not found: {path}", path);
        HeadFile? head;
        try
        {
            head = JsonSerializer.Deserialize<HeadFile>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a head file: {e.Message}", e);
        }
        if (head is null || head.Format != FormatName)
            throw new InvalidDataException($"{path} is not a head file (expected format '{FormatName}').");
        if (head.LabelNames.Length < 2 || head.InputSize <= 0)
            throw new InvalidDataException($"{path}: head file has no label names or input size.");
        return head;
    }

    /// <summary>Refuses a head made for another model (by content fingerprint) or another feature size, naming both sides.</summary>
    /// <param name="trainCommand">How to train one for the loaded model (the CLI command, with its --model).</param>
    public void EnsureFits(string path, string modelName, string fingerprint, int featureSize, string trainCommand = "agnews train --data DIR")
    {
        if (ModelFingerprint != fingerprint)
            throw new InvalidDataException(
                $"The head {path} was trained for model '{ModelName}' (fingerprint {ModelFingerprint}), but the loaded model is " +
                $"'{modelName}' (fingerprint {fingerprint}). Train a head for this model ({trainCommand}) and use it instead, or load the matching model.");
        if (InputSize != featureSize)
            throw new InvalidDataException($"The head {path} expects {InputSize} features ({Pooling} pooling) but the model gives {featureSize}.");
    }
}
