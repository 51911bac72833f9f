using AgNewsLsp.IO;
using AgNewsLsp.Model;
using System.Text.Json;
using System.Text.Json.Serialization;
using AgNewsLsp.Evaluation;
using AgNewsLsp.Features;
using AgNewsLsp.Native;
using static TorchSharp.torch;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Training;

/// <summary>
/// A trained head on disk: its weights and everything needed to use it correctly: which model (by
/// content fingerprint) and pooling it belongs to, label names, max tokens, n-gram settings, and its metrics.
/// One JSON file, written atomically. Small tensors are JSON arrays; large ones (a hybrid head's per-bucket
/// weights) are little-endian float32 in base64, which keeps the file a third of the size and loads
/// without parsing millions of numbers.
/// </summary>
public sealed record HeadFile
{
    public const string FormatName = "agnews-head/1";

    [JsonPropertyName("format")] public string Format { get; init; } = FormatName;
    [JsonPropertyName("kind")] public HeadKind Kind { get; init; }
    [JsonPropertyName("modelName")] public string ModelName { get; init; } = "";
    [JsonPropertyName("modelFingerprint")] public string ModelFingerprint { get; init; } = "";
    [JsonPropertyName("pooling")] public Pooling Pooling { get; init; }
    [JsonPropertyName("maxTokens")] public int MaxTokens { get; init; }
    [JsonPropertyName("precision")] public Precision Precision { get; init; }
    [JsonPropertyName("labelNames")] public string[] LabelNames { get; init; } = [];
    [JsonPropertyName("inputSize")] public int InputSize { get; init; }
    [JsonPropertyName("hiddenSize")] public int HiddenSize { get; init; }
    /// <summary>The n-gram features of a hybrid head; null for the other kinds.</summary>
    [JsonPropertyName("lexical")] public LexicalFeaturizer? Lexical { get; init; }
    /// <summary>Where a hybrid+layers head's trained layers sit on the encoder; null for the other kinds.</summary>
    [JsonPropertyName("topLayers")] public TopLayersShape? TopLayers { get; init; }
    [JsonPropertyName("tensors")] public Dictionary<string, HeadTensor> Tensors { get; init; } = new();
    [JsonPropertyName("validation")] public EvaluationReport? Validation { get; init; }
    /// <summary>The validation report before temperature scaling (same accuracy; log-loss and ECE of the raw softmax).</summary>
    [JsonPropertyName("validationUncalibrated")] public EvaluationReport? ValidationUncalibrated { get; init; }
    [JsonPropertyName("history")] public EpochStats[] History { get; init; } = [];
    [JsonPropertyName("trainedOn")] public string? TrainedOn { get; init; }
    [JsonPropertyName("trainCount")] public int TrainCount { get; init; }
    [JsonPropertyName("seed")] public int Seed { get; init; }
    [JsonPropertyName("createdUtc")] public DateTime CreatedUtc { get; init; }

    public sealed record HeadTensor
    {
        /// <summary>Tensors with more values than this are stored in base64.</summary>
        public const int InlineLimit = 4096;

        [JsonPropertyName("shape")] public long[] Shape { get; init; } = [];
        [JsonPropertyName("data")] public float[]? Data { get; init; }
        /// <summary>Values stored as little-endian float32 in base64 (large tensors): <see cref="Base64Floats"/>.</summary>
        [JsonPropertyName("base64"), JsonConverter(typeof(Base64Floats))] public float[]? Packed { get; init; }

        public static HeadTensor From(long[] shape, float[] values) => values.Length <= InlineLimit
            ? new HeadTensor { Shape = shape, Data = values }
            : new HeadTensor { Shape = shape, Packed = values };

        /// <summary>The values, whichever way they were stored; null when neither or both are present.</summary>
        public float[]? Values() => (Data is null) == (Packed is null) ? null : Data ?? Packed;
    }

    /// <summary>
    /// float32 values as the base64 of their little-endian bytes. Read straight from the file's UTF-8 into the floats:
    /// no string of the text and no byte array in between, which for a large head is most of its load time.
    /// </summary>
    public sealed class Base64Floats : JsonConverter<float[]>
    {
        public override float[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String) throw new JsonException("'base64' must be a string.");
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Head files store little-endian floats.");
            if (reader.HasValueSequence || reader.ValueIsEscaped) // not from HeadFile.Load, which reads one span, or not written by us
                return Decode(System.Text.Encoding.UTF8.GetBytes(reader.GetString()!));
            return Decode(reader.ValueSpan);
        }

        private static float[] Decode(ReadOnlySpan<byte> base64)
        {
            int padding = base64.EndsWith("=="u8) ? 2 : base64.EndsWith("="u8) ? 1 : 0;
            long byteCount = base64.Length / 4 * 3L - padding;
            if (base64.Length % 4 != 0 || byteCount % sizeof(float) != 0)
                throw new JsonException($"'base64' holds {base64.Length} characters, which are not whole float32 values.");
            var values = new float[byteCount / sizeof(float)];
            var status = System.Buffers.Text.Base64.DecodeFromUtf8(base64,
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()), out _, out int written);
            if (status != System.Buffers.OperationStatus.Done || written != byteCount)
                throw new JsonException("'base64' is not valid base64.");
            return values;
        }

        public override void Write(Utf8JsonWriter writer, float[] value, JsonSerializerOptions options) =>
            writer.WriteBase64StringValue(System.Runtime.InteropServices.MemoryMarshal.AsBytes(value.AsSpan()));
    }

    /// <summary>Buffers that heads written before them lack, and the value they meant.</summary>
    private static readonly Dictionary<string, float> AddedLater = new() { ["temperature"] = 1f };

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        // Base64's '+' as itself, not "\u002B", which is six characters to write and to unescape on every load.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static HeadFile FromHead(ClassifierHead head, HeadFile metadata) => metadata with
    {
        Kind = head.Kind,
        InputSize = head.InputSize,
        Lexical = head.Lexical,
        TopLayers = head.Top?.Shape,
        HiddenSize = head.HiddenSize,
        Tensors = head.state_dict().ToDictionary(kv => kv.Key, kv =>
        {
            using var values = kv.Value.to(ScalarType.Float32);
            return HeadTensor.From(kv.Value.shape, values.data<float>().ToArray());
        }),
    };

    public ClassifierHead CreateHead()
    {
        TorchRuntime.EnsureInitialized();
        if (Kind.HasNGrams() && Lexical is null)
            throw new InvalidDataException($"A {Kind.Name()} head file lacks its n-gram settings ('lexical').");
        Lexical?.Validate();
        if ((Kind == HeadKind.HybridLayers) != (TopLayers is not null))
            throw new InvalidDataException(
                $"A {Kind.Name()} head file {(TopLayers is null ? "lacks" : "must not have")} top layers ('topLayers').");
        // Sizes come from the file: never allocate layers or an n-gram matrix bigger than the weights the file holds.
        long storedWeights = Tensors.Values.Sum(t => (long)(t?.Values()?.Length ?? 0));
        if (Lexical is not null && (long)Lexical.Buckets * LabelNames.Length > storedWeights)
            throw new InvalidDataException(
                $"The head file's n-gram space (2^{Lexical.Bits} buckets x {LabelNames.Length} classes) needs more weights than it holds.");
        if (TopLayers is not null)
        {
            TopLayers.Validate("the head file's topLayers");
            if (TopLayers.ParameterCount(LabelNames.Length) > storedWeights)
                throw new InvalidDataException(
                    $"The head file's topLayers ({TopLayers.Count} layers of hidden size {TopLayers.Config.HiddenSize}) " +
                    "need more weights than it holds.");
        }
        var top = TopLayers is null ? null : new TopLayers(TopLayers, LabelNames.Length);
        ClassifierHead head;
        try
        {
            head = new ClassifierHead(Kind, InputSize, LabelNames.Length, Math.Max(HiddenSize, 1), lexicalFeatures: Lexical,
                topLayers: top);
        }
        catch
        {
            top?.Dispose();
            throw;
        }
        try
        {
            var state = head.state_dict();
            var missing = state.Keys.Except(Tensors.Keys).Except(AddedLater.Keys).ToList();
            if (missing.Count > 0) throw new InvalidDataException($"Head file lacks tensors: {string.Join(", ", missing)}.");
            using var _ = no_grad();
            foreach (var (name, parameter) in state)
            {
                if (!Tensors.TryGetValue(name, out var stored))
                {
                    parameter.fill_(AddedLater[name]);
                    continue;
                }
                if (!stored.Shape.SequenceEqual(parameter.shape))
                    throw new InvalidDataException(
                        $"Head tensor {name} has shape [{string.Join(",", stored.Shape)}], " +
                        $"expected [{string.Join(",", parameter.shape)}].");
                var data = stored.Values()
                    ?? throw new InvalidDataException($"Head tensor {name} needs its values in exactly one of 'data' or 'base64'.");
                if (data.Length != stored.Shape.Aggregate(1L, (a, b) => a * b))
                    throw new InvalidDataException(
                        $"Head tensor {name} holds {data.Length} values for shape [{string.Join(",", stored.Shape)}].");
                using var values = tensor(data, stored.Shape);
                parameter.copy_(values);
            }
            if (Kind.HasNGrams()) head.SetIdf(Tensors["lexical_idf"].Values()!);
            if (!(head.Temperature > 0 && head.TopTemperature > 0))
                throw new InvalidDataException(
                    $"The head file's temperatures must be positive, not {head.Temperature} and {head.TopTemperature}.");
            if (!(head.HybridWeight is >= 0 and <= 1))
                throw new InvalidDataException($"The head file's mixing weight must lie in [0, 1], not {head.HybridWeight}.");
            head.eval();
            return head;
        }
        catch
        {
            head.Dispose();
            throw;
        }
    }

    public void Save(string path)
    {
        EnsureFinite(path); // a diverged head must not replace a working one
        var json = JsonSerializer.Serialize(this, Json);
        // Training keeps within the budgets this limit is derived from; this stops a head that would not load (a far
        // wider encoder's top layers) from replacing one that does.
        long bytes = System.Text.Encoding.UTF8.GetByteCount(json);
        if (bytes > HeadLimits.MaxFileBytes)
            throw new InvalidDataException(
                $"The head would be {bytes} bytes, over the {HeadLimits.MaxFileBytes} a head file may have; it is not written.");
        AtomicFile.WriteAllText(path, json);
    }

    public static HeadFile Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Head file not found: {path}", path);
        HeadFile? head;
        try
        {
            // Never a device or FIFO; read whole, so a large base64 tensor is one span of it (Base64Floats).
            var bytes = InputFiles.ReadBytes(path, HeadLimits.MaxFileBytes).Span;
            if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) bytes = bytes[3..];
            head = JsonSerializer.Deserialize<HeadFile>(bytes, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a head file: {e.Message}", e);
        }
        if (head is null || head.Format != FormatName)
            throw new InvalidDataException($"{path} is not a head file (expected format '{FormatName}').");
        if (head.LabelNames.Length < HeadLimits.MinClasses || head.InputSize <= 0)
            throw new InvalidDataException($"{path}: head file has no label names or input size.");
        HeadLimits.CheckClassCount(head.LabelNames.Length, path);
        head.EnsureFinite(path);
        return head;
    }

    /// <summary>Refuses weights that are NaN or infinite: every prediction of such a head would be NaN.</summary>
    public void EnsureFinite(string path)
    {
        foreach (var (name, stored) in Tensors)
        {
            var data = stored?.Values()
                ?? throw new InvalidDataException($"{path}: head tensor {name} needs its values in exactly one of 'data' or 'base64'.");
            var bad = FirstNonFinite(data);
            if (bad >= 0)
                throw new InvalidDataException(
                    $"{path}: head tensor {name} holds {data[bad]} at index {bad}; a head needs finite weights (retrain it).");
        }
    }

    private static int FirstNonFinite(float[] values)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }

    /// <summary>Refuses a head made for another model (by content fingerprint) or another feature size, naming both sides.</summary>
    /// <param name="encoder">The loaded model's shape, which trained top layers must match.</param>
    public void EnsureFits(string path, string modelName, string fingerprint, int featureSize, BertConfig? encoder = null)
    {
        if (ModelFingerprint != fingerprint)
            throw new HeadForAnotherModelException(path, ModelName, ModelFingerprint, modelName, fingerprint);
        if (InputSize != featureSize)
            throw new InvalidDataException(
                $"The head {path} expects {InputSize} features ({Pooling.Name()} pooling) but the model gives {featureSize}.");
        if (TopLayers is not null && encoder is not null) TopLayers.EnsureFits(encoder, path);
    }
}

/// <summary>
/// A head trained for another model than the loaded one. The message names both; how to train one for this model is
/// each front's advice (the command line prints a command, the server names its request).
/// </summary>
public sealed class HeadForAnotherModelException(string path, string headModel, string headFingerprint, string loadedModel,
    string loadedFingerprint)
    : InvalidOperationException(
        $"The head {path} was trained for model '{headModel}' (fingerprint {headFingerprint}), but the loaded model is " +
        $"'{loadedModel}' (fingerprint {loadedFingerprint}).")
{
    public string LoadedModel { get; } = loadedModel;
}
