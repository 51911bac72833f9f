using System.Text.Json.Serialization;

namespace AgNewsLsp.Settings;

/// <summary>How a text's token vectors become one feature vector (Features.PoolingLayer computes it).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Pooling>))]
public enum Pooling
{
    /// <summary>The last layer's [CLS] row.</summary>
    [JsonStringEnumMemberName("cls")] Cls,
    /// <summary>BERT's pooler: tanh(dense([CLS])).</summary>
    [JsonStringEnumMemberName("pooler")] Pooler,
    /// <summary>The mean of the last layer's token rows, padding left out.</summary>
    [JsonStringEnumMemberName("mean")] Mean,
    /// <summary>The [CLS] rows of the last two layers, concatenated.</summary>
    [JsonStringEnumMemberName("cls-last2")] ClsLast2,
    /// <summary>The [CLS] rows of the last four layers, concatenated.</summary>
    [JsonStringEnumMemberName("cls-last4")] ClsLast4,
    /// <summary>The token mean and the last [CLS], concatenated.</summary>
    [JsonStringEnumMemberName("mean+cls")] MeanCls,
}

public static class Poolings
{
    /// <summary>
    /// The pooling a training run uses when none is asked for; chosen by validation accuracy on training rows
    /// (README, Benchmarks).
    /// </summary>
    public const Pooling Default = Pooling.ClsLast4;

    public static string Name(this Pooling pooling) => SettingNames.Name(pooling);

    /// <summary>A pooling by name; null or blank is the default.</summary>
    public static Pooling Parse(string? name) => string.IsNullOrWhiteSpace(name) ? Default : SettingNames.Parse<Pooling>(name, "pooling");
}
