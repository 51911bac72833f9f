namespace AgNewsLsp.Native;

/// <summary>What /proc/cpuinfo says about the processor (empty elsewhere).</summary>
public static class CpuInfo
{
    private static readonly Lazy<(string Vendor, HashSet<string> Flags)> Info = new(Read);

    public static bool IsAmd => Info.Value.Vendor == "AuthenticAMD";

    /// <summary>bf16 matmuls in hardware (AVX-512 BF16 or AMX): bf16 inference is then 1.5-4x fp32.</summary>
    public static bool HasBf16 => Info.Value.Flags.Contains("avx512_bf16") || Info.Value.Flags.Contains("amx_bf16");

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
