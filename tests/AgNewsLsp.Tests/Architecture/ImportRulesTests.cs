using System.Text.RegularExpressions;

namespace AgNewsLsp.Tests.Architecture;

/// <summary>
/// The dependency arrows of ARCHITECTURE.md, checked on the sources: every folder's namespace is its own, and a folder
/// names (in a using line or a qualified name) only the folders the map allows it. Change the map and this table
/// together; an arrow the map forbids fails here.
/// </summary>
public class ImportRulesTests
{
    /// <summary>Core's folders, lowest first: each may use only the folders before it.</summary>
    public static readonly string[] CoreOrder =
        ["Native", "Progress", "Settings", "IO", "Text", "Evaluation", "Data", "Model", "Features", "Training", "Engine", "Teaching"];

    /// <summary>The server's folders and what each may use besides Core ("" is the folder's root: Program.cs).</summary>
    public static readonly Dictionary<string, string[]> ServerAllowed = new()
    {
        ["Options"] = [],
        ["Wire"] = [],
        ["Runtime"] = ["Options"],
        ["Protocol"] = ["Options", "Runtime", "Wire"],
        ["Hosting"] = ["Protocol", "Options", "Runtime", "Wire"],
        ["Cli"] = ["Options", "Wire"],
        [""] = ["Cli", "Hosting", "Options"],
    };

    /// <summary>A source file's layer from its path under server/: "Core/Model", "Server/Protocol", "Server/".</summary>
    public static string LayerOfPath(string relativePath)
    {
        var parts = relativePath.Replace('\\', '/').Split('/');
        var project = parts[0] == "AgNewsLsp.Core" ? "Core"
            : parts[0] == "AgNewsLsp.Server" ? "Server"
            : throw new ArgumentException(relativePath);
        return $"{project}/{(parts.Length > 2 ? parts[1] : "")}";
    }

    /// <summary>The layer a namespace belongs to; null when it is not ours.</summary>
    public static string? LayerOfNamespace(string ns)
    {
        var parts = ns.Split('.');
        if (parts[0] != "AgNewsLsp" || parts.Length < 2) return null;
        if (parts[1] == "Server") return $"Server/{(parts.Length > 2 ? parts[2] : "")}";
        return CoreOrder.Contains(parts[1]) ? $"Core/{parts[1]}" : null;
    }

    /// <summary>What the map allows <paramref name="from"/> to use.</summary>
    public static bool Allowed(string from, string to)
    {
        if (from == to) return true;
        var (fromProject, fromFolder) = Split(from);
        var (toProject, toFolder) = Split(to);
        if (toProject == "Core")
            return fromProject == "Server" || Array.IndexOf(CoreOrder, toFolder) < Array.IndexOf(CoreOrder, fromFolder);
        return fromProject == "Server" && ServerAllowed.TryGetValue(fromFolder, out var allowed) && allowed.Contains(toFolder);
    }

    private static (string Project, string Folder) Split(string layer) => (layer[..layer.IndexOf('/')], layer[(layer.IndexOf('/') + 1)..]);

    private static readonly Regex Namespace = new(@"^namespace\s+([\w.]+)", RegexOptions.Multiline);
    private static readonly Regex Using = new(@"^\s*(?:global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?(AgNewsLsp(?:\.\w+)*)",
        RegexOptions.Multiline);
    private static readonly Regex Qualified = new(@"(?<![\w.])AgNewsLsp(?:\.[A-Z]\w*)+");

    /// <summary>The map's violations in one source file: its namespace, then every layer it names that it may not.</summary>
    public static IEnumerable<string> Violations(string relativePath, string source)
    {
        var layer = LayerOfPath(relativePath);
        var declared = Namespace.Match(source);
        var expected = "AgNewsLsp" + (layer.StartsWith("Server/") ? ".Server" : "")
            + (layer.EndsWith('/') ? "" : "." + layer[(layer.IndexOf('/') + 1)..]);
        if (!declared.Success
            || !(declared.Groups[1].Value == expected || declared.Groups[1].Value.StartsWith(expected + ".", StringComparison.Ordinal)))
            yield return
                $"{relativePath}: namespace {(declared.Success ? declared.Groups[1].Value : "(none)")} is not its folder's ({expected})";
        var named = Using.Matches(source).Select(m => m.Groups[1].Value)
            .Concat(Qualified.Matches(source).Where(m => !IsNamespaceLine(source, m.Index)).Select(m => m.Value));
        foreach (var to in named.Select(LayerOfNamespace).OfType<string>().Distinct())
            if (!Allowed(layer, to)) yield return $"{relativePath}: {layer} uses {to}, which the map does not allow";
    }

    private static bool IsNamespaceLine(string source, int index)
    {
        var lineStart = source.LastIndexOf('\n', Math.Max(0, index - 1)) + 1;
        return source.AsSpan(lineStart).TrimStart().StartsWith("namespace ");
    }

    private static string ServerFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "AgNewsLsp.sln"))) return Path.Combine(dir.FullName, "server");
        throw new DirectoryNotFoundException("the repository (AgNewsLsp.sln) above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void The_sources_follow_the_map()
    {
        var server = ServerFolder();
        var files = Directory.EnumerateFiles(server, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(server, f).Replace('\\', '/'))
            .Where(f => !f.Split('/').Any(p => p is "bin" or "obj"))
            .ToArray();
        Assert.True(files.Length > 50, $"only {files.Length} sources found under {server}");
        var violations = files.SelectMany(f => Violations(f, File.ReadAllText(Path.Combine(server, f)))).ToList();
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Theory]
    [InlineData("AgNewsLsp.Server/Cli/X.cs", "using AgNewsLsp.Server.Protocol;\nnamespace AgNewsLsp.Server.Cli;")]
    [InlineData("AgNewsLsp.Server/Wire/X.cs",
        "namespace AgNewsLsp.Server.Wire;\nclass X { object o = AgNewsLsp.Server.Protocol.LspJson.Options; }")]
    [InlineData("AgNewsLsp.Core/Model/X.cs", "using AgNewsLsp.Engine;\nnamespace AgNewsLsp.Model;")]
    [InlineData("AgNewsLsp.Core/Settings/X.cs", "using static AgNewsLsp.Features.PoolingLayer;\nnamespace AgNewsLsp.Settings;")]
    [InlineData("AgNewsLsp.Core/Training/X.cs", "using AgNewsLsp.Server.Wire;\nnamespace AgNewsLsp.Training;")]
    [InlineData("AgNewsLsp.Core/IO/X.cs", "namespace AgNewsLsp;")]
    [InlineData("AgNewsLsp.Server/Options/X.cs", "using W = AgNewsLsp.Server.Wire;\nnamespace AgNewsLsp.Server.Options;")]
    public void An_arrow_the_map_forbids_is_found(string path, string source) => Assert.NotEmpty(Violations(path, source));

    [Theory]
    [InlineData("AgNewsLsp.Server/Protocol/X.cs",
        "using AgNewsLsp.Server.Wire;\nusing AgNewsLsp.Engine;\nnamespace AgNewsLsp.Server.Protocol.Handlers;")]
    [InlineData("AgNewsLsp.Core/Engine/X.cs", "using AgNewsLsp.Training;\nusing AgNewsLsp.IO;\nnamespace AgNewsLsp.Engine;")]
    [InlineData("AgNewsLsp.Server/Program.cs", "using AgNewsLsp.Server.Cli;\nnamespace AgNewsLsp.Server;")]
    public void An_arrow_the_map_allows_passes(string path, string source) => Assert.Empty(Violations(path, source));
}
