using AgNewsLsp.IO;
using AgNewsLsp.Server.Wire;
namespace AgNewsLsp.Server.Protocol;

/// <summary>
/// The folders a client declared as its workspace (initialize's workspaceFolders, else rootUri / rootPath, then
/// workspace/didChangeWorkspaceFolders). A document that is not open is read from disk only when it lies inside
/// one of them (symbolic links resolved), so a client cannot make the server read any file it can read.
/// </summary>
/// <remarks>
/// Indexed by resolved path, so a question costs the depth of the path asked about, not the number of folders: a client
/// may declare tens of thousands, and a list made each addition and each question walk all of them.
/// </remarks>
public sealed class WorkspaceFolders
{
    private readonly object gate = new();
    /// <summary>Each folder as declared (a local path), in order, with the roots it stands for.</summary>
    private readonly Dictionary<string, string[]> folders = new(StringComparer.Ordinal);
    private readonly List<string> order = [];
    /// <summary>
    /// The folders as resolved paths, each with how many declared folders stand for it. A declared folder stands for its
    /// resolved path and for itself as written: a folder that did not exist yet when it was declared counts once it does
    /// (its path as written is its resolved path unless it runs through a link, and a resolved path never does).
    /// </summary>
    private readonly Dictionary<string, int> roots = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Folders
    {
        get { lock (gate) return order.ToList(); }
    }

    /// <summary>Adds a folder given as a file: URI or a path; anything else is ignored (returns false).</summary>
    public bool Add(string uriOrPath)
    {
        if (ToLocalPath(uriOrPath) is not { } path) return false;
        var real = InputFiles.RealPath(path);
        lock (gate)
        {
            if (folders.ContainsKey(path)) return true;
            string[] standsFor = real is null || real == path ? [path] : [path, real];
            folders[path] = standsFor;
            order.Add(path);
            foreach (var root in standsFor) roots[root] = roots.GetValueOrDefault(root) + 1;
        }
        return true;
    }

    public void Remove(string uriOrPath)
    {
        if (ToLocalPath(uriOrPath) is not { } path) return;
        lock (gate)
        {
            if (!folders.Remove(path, out var standsFor)) return;
            order.Remove(path);
            foreach (var root in standsFor)
                if (--roots[root] == 0) roots.Remove(root);
        }
    }

    /// <summary>True when the file lies inside a workspace folder.</summary>
    public bool Contains(string path) =>
        InputFiles.ResolvedForContainment(path) is { } file && Path.GetDirectoryName(file) is { } folder && IsOrUnderRoot(folder);

    /// <summary>The workspace folder (as declared) a file lies in, the innermost when folders nest; null when none.</summary>
    public string? FolderOf(string path)
    {
        if (InputFiles.ResolvedForContainment(path) is not { } file) return null;
        lock (gate)
            for (var dir = Path.GetDirectoryName(file); dir is not null; dir = Path.GetDirectoryName(dir))
                foreach (var (declared, standsFor) in folders)
                    if (standsFor.Contains(dir)) return declared;
        return null;
    }

    /// <summary>True when the folder is a workspace folder or lies inside one.</summary>
    public bool ContainsFolder(string path) => InputFiles.RealPath(path) is { } real && IsOrUnderRoot(real);

    /// <summary>Whether the resolved folder, or one above it, is a resolved workspace folder.</summary>
    private bool IsOrUnderRoot(string resolved)
    {
        lock (gate)
            for (var dir = resolved; dir is not null; dir = Path.GetDirectoryName(dir))
                if (roots.ContainsKey(dir)) return true;
        return false;
    }

    /// <summary>A file: URI or an absolute path as a local path; null for anything else (untitled:, relative paths).</summary>
    public static string? ToLocalPath(string uriOrPath)
    {
        if (string.IsNullOrWhiteSpace(uriOrPath)) return null;
        if (Uri.TryCreate(uriOrPath, UriKind.Absolute, out var uri) && uri.IsFile) return Path.GetFullPath(uri.LocalPath);
        return Path.IsPathRooted(uriOrPath) ? Path.GetFullPath(uriOrPath) : null;
    }
}
