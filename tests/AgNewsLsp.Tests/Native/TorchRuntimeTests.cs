using AgNewsLsp.Native;
using TorchSharp;

namespace AgNewsLsp.Tests.Native;

public class TorchRuntimeTests
{
    private static string PristineGlueLibrary()
    {
        var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                   ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", TorchRuntime.GlueLibrary);
    }

    [Fact]
    public void Patcher_marks_only_the_unused_version_weak_and_is_idempotent()
    {
        var original = File.ReadAllBytes(PristineGlueLibrary());
        var before = ElfVersionNeedPatcher.ReadVersionNeeds(original);
        var target = Assert.Single(before, n => n.Version == "GLIBCXX_3.4.32");
        Assert.False(target.IsWeak);
        Assert.Equal("libstdc++.so.6", target.File);

        var patched = (byte[])original.Clone();
        Assert.Equal(1, ElfVersionNeedPatcher.MarkWeak(patched, TorchRuntime.UnusedVersionRequirements));
        Assert.Equal(0, ElfVersionNeedPatcher.MarkWeak(patched, TorchRuntime.UnusedVersionRequirements));

        var after = ElfVersionNeedPatcher.ReadVersionNeeds(patched);
        Assert.Equal(before.Count, after.Count);
        foreach (var (b, a) in before.Zip(after))
            Assert.Equal(b.Version == "GLIBCXX_3.4.32" ? (ushort)(b.Flags | ElfVersionNeedPatcher.VerFlagWeak) : b.Flags, a.Flags);
        // One byte differs: the low byte of the little-endian vna_flags (0x0 -> 0x2).
        Assert.Equal(1, original.Zip(patched).Count(p => p.First != p.Second));
    }

    [Fact]
    public void Patcher_rejects_non_elf_input()
    {
        Assert.Throws<InvalidDataException>(() => ElfVersionNeedPatcher.ReadVersionNeeds("not an elf file at all, just text"u8.ToArray().Concat(new byte[64]).ToArray()));
    }

    [Fact]
    public void Glue_library_in_the_output_folder_is_patched_and_libtorch_runs()
    {
        TorchRuntime.EnsureInitialized();
        var glue = Assert.Single(TorchRuntime.GlueLibraryCandidates(AppContext.BaseDirectory));
        Assert.Contains(ElfVersionNeedPatcher.ReadVersionNeeds(File.ReadAllBytes(glue)), n => n.Version == "GLIBCXX_3.4.32" && n.IsWeak);
        using var x = torch.ones(2, 3);
        Assert.Equal(6f, x.sum().item<float>());
    }
}
