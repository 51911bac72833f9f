namespace AgNewsLsp.Native;

/// <summary>What /proc/cpuinfo says about the processor (empty elsewhere).</summary>
public static class CpuInfo
{
    private static readonly Lazy<(string Vendor, HashSet<string> Flags)> Info = new(Read);

    private const string AmdVendor = "AuthenticAMD";

    public static bool IsAmd => Info.Value.Vendor == AmdVendor;

    /// <summary>bf16 matmuls faster than fp32 on this processor (<see cref="Bf16BeatsFp32"/>).</summary>
    public static bool PrefersBf16 => Bf16BeatsFp32(Info.Value.Vendor, Info.Value.Flags);

    /// <summary>
    /// Whether oneDNN's bf16 kernels beat fp32 here: with AMX tiles (amx_bf16), or on AMD's AVX-512 BF16 (Zen 4 and 5).
    /// Intel's AVX-512 BF16 without AMX (a virtual machine that hides AMX, say) is not enough: there bf16 encoded
    /// batches and single texts more slowly than fp32 (README, Benchmarks), so fp32 is the better default.
    /// </summary>
    public static bool Bf16BeatsFp32(string vendor, IReadOnlySet<string> flags) =>
        flags.Contains("amx_bf16") || (vendor == AmdVendor && flags.Contains("avx512_bf16"));

    private static (string, HashSet<string>) Read()
    {
        try
        {
            string vendor = "";
            var flags = new HashSet<string>(StringComparer.Ordinal);
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                var colon = line.IndexOf(':');
                if (colon < 0) continue;
                var key = line[..colon].Trim();
                if (key == "vendor_id" && vendor.Length == 0) vendor = line[(colon + 1)..].Trim();
                else if (key == "flags" && flags.Count == 0)
                    flags.UnionWith(line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
                if (vendor.Length > 0 && flags.Count > 0) break;
            }
            return (vendor, flags);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ("", []);
        }
    }
}
