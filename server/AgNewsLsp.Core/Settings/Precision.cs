using System.Text.Json.Serialization;

namespace AgNewsLsp.Settings;

/// <summary>Numeric precision of the encoder's forward pass.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Precision>))]
public enum Precision
{
    [JsonStringEnumMemberName("fp32")] Fp32,
    /// <summary>bfloat16 on oneDNN's avx512_bf16 kernels: faster, at a cost in accuracy measured in the README.</summary>
    [JsonStringEnumMemberName("bf16")] Bf16,
}

public static class Precisions
{
    /// <summary>What "auto" (or nothing) means: bf16 where the CPU computes it faster than fp32, else fp32.</summary>
    public static Precision Default => Native.CpuInfo.PrefersBf16 ? Precision.Bf16 : Precision.Fp32;

    public static string Name(this Precision precision) => SettingNames.Name(precision);

    /// <summary>"auto" (or null/blank), "fp32"/"float32", "bf16"/"bfloat16".</summary>
    public static Precision Parse(string? value) => (value ?? "").Trim().ToLowerInvariant() switch
    {
        "" or "auto" => Default,
        "float32" => Precision.Fp32,
        "bfloat16" => Precision.Bf16,
        _ => SettingNames.Parse<Precision>(value!, "precision"),
    };
}
