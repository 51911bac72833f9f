using System.Text.Json.Serialization;

namespace AgNewsLsp.Settings;

/// <summary>
/// What a head computes on the frozen features: a linear layer, a small MLP, a linear layer over the
/// encoder features joined with the text's hashed word and character n-grams (hybrid), or a hybrid part mixed with
/// trained copies of the encoder's top layers (hybrid+layers: the most accurate, and the slowest to train by far).
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<HeadKind>))]
public enum HeadKind
{
    [JsonStringEnumMemberName("linear")] Linear,
    [JsonStringEnumMemberName("mlp")] Mlp,
    [JsonStringEnumMemberName("hybrid")] Hybrid,
    [JsonStringEnumMemberName("hybrid+layers")] HybridLayers,
}

public static class HeadKinds
{
    /// <summary>The kind a training run uses when none is asked for.</summary>
    public const HeadKind Default = HeadKind.Hybrid;

    public static IReadOnlyList<string> Names => SettingNames.All<HeadKind>();

    public static string Name(this HeadKind kind) => SettingNames.Name(kind);

    /// <summary>Whether heads of this kind read the text's n-grams (and so need the texts beside the features).</summary>
    public static bool HasNGrams(this HeadKind kind) => kind is HeadKind.Hybrid or HeadKind.HybridLayers;

    /// <summary>
    /// Whether heads of this kind train by epochs of gradient descent (maxEpochs): linear and mlp heads, and a
    /// hybrid+layers head's top layers.
    /// </summary>
    public static bool TrainsByEpochs(this HeadKind kind) => kind is HeadKind.Linear or HeadKind.Mlp or HeadKind.HybridLayers;

    /// <summary>Whether heads of this kind have a linear solver that runs passes over the rows (maxPasses): the hybrid kinds.</summary>
    public static bool TrainsBySolverPasses(this HeadKind kind) => kind.HasNGrams();

    /// <summary>A kind by name (any case); null or blank means "not asked for".</summary>
    public static HeadKind? Parse(string? name) => string.IsNullOrWhiteSpace(name) ? null : SettingNames.Parse<HeadKind>(name, "headKind");
}
