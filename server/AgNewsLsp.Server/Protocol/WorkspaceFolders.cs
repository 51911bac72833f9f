using AgNewsLsp.IO;
using AgNewsLsp.Server.Wire;
namespace AgNewsLsp.Server.Protocol;

/// <summary>
/// The folders a client declared as its workspace (initialize's workspaceFolders, else rootUri / rootPath, then
/// workspace/didChangeWorkspaceFolders). A document that is not open is read from disk only when it lies inside
/// one of them (symbolic links resolved), so a client cannot make the server read any file it can read.
/// </summary>
public sealed class WorkspaceFolders
{
    private readonly object gate = new();
    private readonly List<string> folders = [];

    public IReadOnlyList<string> Folders
    {
        get { lock (gate) return folders.ToList(); }
    }

    /// <summary>Adds a folder given as a file: URI or a path; anything else is ignored (returns false).</summary>
    public bool Add(string uriOrPath)
    {
        if (ToLocalPath(uriOrPath) is not { } path) return false;
        lock (gate)
            if (!folders.Contains(path)) folders.Add(path);
        return true;
    }

    public void Remove(string uriOrPath)
    {
        if (ToLocalPath(uriOrPath) is not { } path) return;
        lock (gate) folders.Remove(path);
    }

    /// <summary>True when the file lies inside a workspace folder.</summary>
    public bool Contains(string path)
    {
        foreach (var folder in Folders)
            if (InputFiles.IsUnder(path, folder)) return true;
        return false;
    }

    /// <summary>True when the folder is a workspace folder or lies inside one.</summary>
    public bool ContainsFolder(string path)
    {
        if (InputFiles.RealPath(path) is not { } real) return false;
        foreach (var folder in Folders)
            if (InputFiles.RealPath(folder) == real || InputFiles.IsUnder(real, folder)) return true;
        return false;
    }

    private static string? ToLocalPath(string uriOrPath)
    {
        if (string.IsNullOrWhiteSpace(uriOrPath)) return null;
        if (Uri.TryCreate(uriOrPath, UriKind.Absolute, out var uri) && uri.IsFile) return Path.GetFullPath(uri.LocalPath);
        return Path.IsPathRooted(uriOrPath) ? Path.GetFullPath(uriOrPath) : null;
    }
}
