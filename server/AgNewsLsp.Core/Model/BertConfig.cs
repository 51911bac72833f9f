using AgNewsLsp.IO;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgNewsLsp.Model;

/// <summary>The fields of a Hugging Face BERT config.json that shape the network.</summary>
public sealed record BertConfig
{
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "bert";
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 30522;
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 768;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 12;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 3072;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "gelu";
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 512;
    [JsonPropertyName("type_vocab_size")] public int TypeVocabSize { get; init; } = 2;
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-12;
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; }

    /// <summary>all-MiniLM-L6-v2, the embedded default (its ONNX export carries weights, not the config).</summary>
    public static BertConfig MiniLmL6 => new()
    {
        VocabSize = 30522, HiddenSize = 384, NumHiddenLayers = 6, NumAttentionHeads = 12, IntermediateSize = 1536,
        HiddenAct = "gelu", MaxPositionEmbeddings = 512, TypeVocabSize = 2, LayerNormEps = 1e-12,
    };

    /// <summary>bert-base-uncased's shape (for benchmarks with random weights).</summary>
    public static BertConfig BertBase => new();

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static BertConfig Load(string path)
    {
        BertConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<BertConfig>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a valid config.json: {e.Message}", e);
        }
        if (config is null) throw new InvalidDataException($"{path} is empty.");
        config.Validate(path);
        return config;
    }

    public void Save(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    public void Validate(string source)
    {
        if (ModelType is not ("bert" or ""))
            throw new InvalidDataException($"{source}: model_type '{ModelType}' is not a BERT; only BERT checkpoints are supported.");
        if (HiddenSize <= 0 || NumHiddenLayers <= 0 || NumAttentionHeads <= 0 || IntermediateSize <= 0 || VocabSize <= 0)
            throw new InvalidDataException($"{source}: sizes must be positive.");
        if (HiddenSize % NumAttentionHeads != 0)
            throw new InvalidDataException(
                $"{source}: hidden_size {HiddenSize} is not a multiple of num_attention_heads {NumAttentionHeads}.");
        if (!HiddenActivations.IsSupported(HiddenAct))
            throw new InvalidDataException(
                $"{source}: hidden_act '{HiddenAct}' is not supported ({string.Join(", ", HiddenActivations.Names)} are).");
        if (!(LayerNormEps > 0 && double.IsFinite(LayerNormEps)))
            throw new InvalidDataException($"{source}: layer_norm_eps must be a positive number, not {LayerNormEps}.");
    }
}
