using System.Runtime.InteropServices;
using TorchSharp;

namespace AgNewsLsp.Native;

/// <summary>
/// Prepares libtorch before the first torch call: makes TorchSharp's native glue loadable on systems
/// with an older libstdc++ (see <see cref="ElfVersionNeedPatcher"/>) and puts MKL on its fast path on
/// AMD CPUs. Every front (CLI, server, tests, benchmarks) calls <see cref="EnsureInitialized"/> first.
/// </summary>
public static class TorchRuntime
{
    /// <summary>Version requirements TorchSharp 0.107.0 declares but never uses (std::ios_base_library_init).</summary>
    public static readonly IReadOnlyCollection<string> UnusedVersionRequirements = ["GLIBCXX_3.4.32"];

    public const string GlueLibrary = "libLibTorchSharp.so";
    public const string MklFastPathLibrary = "libagnews_mkl_cpu.so";

    private static readonly Lock Gate = new();
    private static bool _initialized;

    /// <summary>What initialisation did, for `model info` and the README.</summary>
    public static IReadOnlyList<string> Notes { get; private set; } = [];

    /// <summary>libtorch's threads per operation, as set at load (0 before): a batch's last digits may depend on it.</summary>
    public static int Threads { get; private set; }

    public static void EnsureInitialized(int? threads = null)
    {
        lock (Gate)
        {
            if (_initialized) return;
            var notes = new List<string>();
            if (OperatingSystem.IsLinux())
            {
                foreach (var path in GlueLibraryCandidates(AppContext.BaseDirectory))
                    notes.Add(PatchGlueLibrary(path));
                notes.Add(LoadMklFastPath());
            }
            try
            {
                if (threads is > 0) torch.set_num_threads(threads.Value);
                Threads = torch.get_num_threads();
                notes.Add($"libtorch {torch.__version__} loaded, {Threads} threads");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidOperationException(
                    "libtorch could not be loaded. " + string.Join("; ", notes) + ". Inner error: " + e.Message, e);
            }
            Notes = notes;
            _initialized = true;
        }
    }

    public static IEnumerable<string> GlueLibraryCandidates(string baseDirectory)
    {
        foreach (var candidate in new[]
                 {
                     Path.Combine(baseDirectory, GlueLibrary),
                     Path.Combine(baseDirectory, "runtimes", "linux-x64", "native", GlueLibrary),
                 })
            if (File.Exists(candidate))
                yield return candidate;
    }

    /// <summary>
    /// Marks the unused version requirement weak, in place and atomically (temp file + rename, so a
    /// concurrent loader sees the old or the new file, never half of one). Idempotent.
    /// </summary>
    public static string PatchGlueLibrary(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int changed = ElfVersionNeedPatcher.MarkWeak(bytes, UnusedVersionRequirements);
        if (changed == 0) return $"{path}: already loadable";
        var temp = path + $".{Environment.ProcessId}.tmp";
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.SetUnixFileMode(temp, File.GetUnixFileMode(path));
            File.Move(temp, path, overwrite: true);
        }
        catch (UnauthorizedAccessException e)
        {
            File.Delete(temp);
            throw new InvalidOperationException(
                $"{path} needs a one-time patch to load on this system (it asks for {string.Join(", ", UnusedVersionRequirements)}, " +
                "which it never uses) but the folder is not writable. Run agnews once with write access to its folder.", e);
        }
        return $"{path}: marked {string.Join(", ", UnusedVersionRequirements)} weak";
    }

    private static string LoadMklFastPath()
    {
        if (Environment.GetEnvironmentVariable("AGNEWS_MKL_FASTPATH") == "0") return "MKL fast path disabled by AGNEWS_MKL_FASTPATH=0";
        if (!CpuInfo.IsAmd) return "MKL fast path not needed (not an AMD CPU)";
        var path = Path.Combine(AppContext.BaseDirectory, MklFastPathLibrary);
        if (!File.Exists(path)) return $"MKL fast path unavailable ({MklFastPathLibrary} was not built: no C compiler at build time)";
        const int RTLD_NOW = 0x2, RTLD_GLOBAL = 0x100;
        return dlopen(path, RTLD_NOW | RTLD_GLOBAL) == IntPtr.Zero
            ? $"MKL fast path failed to load: {Marshal.PtrToStringAnsi(dlerror())}"
            : "MKL fast path loaded (AVX-512 kernels on AMD)";
    }

    [DllImport("libc", EntryPoint = "dlopen")]
    private static extern IntPtr dlopen(string file, int mode);

    [DllImport("libc", EntryPoint = "dlerror")]
    private static extern IntPtr dlerror();
}
