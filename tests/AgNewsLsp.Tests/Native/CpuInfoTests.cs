using AgNewsLsp.Native;

namespace AgNewsLsp.Tests.Native;

public class CpuInfoTests
{
    [Theory]
    // Intel with AMX: bf16 on the tiles.
    [InlineData("GenuineIntel", "avx512f avx512_bf16 amx_bf16 amx_tile", true)]
    // AMD Zen 4/5: AVX-512 BF16 is fast there.
    [InlineData("AuthenticAMD", "avx512f avx512_bf16", true)]
    // Intel with AVX-512 BF16 but no AMX (a VM that hides it): bf16 encoded at about half fp32's rate here.
    [InlineData("GenuineIntel", "avx512f avx512_bf16 avx512_fp16 avx_vnni", false)]
    [InlineData("AuthenticAMD", "avx2 fma", false)]
    [InlineData("", "", false)]
    public void Bf16_is_the_default_only_where_it_beats_fp32(string vendor, string flags, bool expected) =>
        Assert.Equal(expected, CpuInfo.Bf16BeatsFp32(vendor, flags.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet()));
}
