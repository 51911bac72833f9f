namespace AgNewsLsp.IO;

/// <summary>
/// A file found under a folder: its path relative to the folder ('/' between segments) and its full path; or, when it
/// cannot be read safely, why (<see cref="SkipReason"/>).
/// </summary>
public sealed record FolderFile(string RelativePath, string FullPath, string? SkipReason = null);

/// <summary>
/// Walks a folder and its subfolders for the files that match globs, holding only the listings of the folders on the
/// path now walked (not the tree), in ordinal order of the relative path (the same order on every run and machine, so two outputs can be
/// compared).
/// Symbolic links to folders are not followed (a link can loop, or lead anywhere); a symbolic link to a file is read
/// only when the file it names lies inside the folder, so that a link cannot make the walk read beyond what it was given.
/// </summary>
public static class FolderFiles
{
    private static readonly EnumerationOptions OneLevel = new()
    {
        RecurseSubdirectories = false,
        IgnoreInaccessible = false,
        AttributesToSkip = 0,
        ReturnSpecialDirectories = false,
    };

    /// <summary>
    /// The matching files under <paramref name="folder"/>, lazily. <paramref name="leaveOut"/> names files to pass over
    /// silently (the run's own output and its temporary file, when they lie inside the folder).
    /// <paramref name="cancellationToken"/> is checked per folder listed and per entry seen, not per file yielded: a
    /// walk that matches nothing in a large tree yields nothing for seconds and must still stop when cancelled.
    /// </summary>
    public static IEnumerable<FolderFile> Enumerate(string folder, FileGlobs globs, Func<string, bool>? leaveOut = null,
        CancellationToken cancellationToken = default)
    {
        var root = Path.GetFullPath(folder);
        // One sorted listing per level of the folder now being walked: memory follows the depth, not the tree.
        var open = new Stack<IEnumerator<Entry>>();
        var (rootEntries, rootProblem) = List(root, "", cancellationToken);
        if (rootProblem is not null) throw new IOException($"{root}: {rootProblem}");
        open.Push(rootEntries.GetEnumerator());
        while (open.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!open.Peek().MoveNext())
            {
                open.Pop().Dispose();
                continue;
            }
            var (info, relative, isLink) = open.Peek().Current;
            if (info is DirectoryInfo)
            {
                if (isLink) continue; // a symbolic link to a folder: not followed
                var (entries, problem) = List(info.FullName, relative + "/", cancellationToken);
                if (problem is not null) yield return new FolderFile(relative + "/", info.FullName, problem);
                else open.Push(entries.GetEnumerator());
                continue;
            }
            if (!globs.Matches(relative) || leaveOut?.Invoke(info.FullName) == true) continue;
            yield return new FolderFile(relative, info.FullName, isLink ? LinkProblem(info.FullName, root) : null);
        }
    }

    private readonly record struct Entry(FileSystemInfo Info, string Relative, bool IsLink);

    /// <summary>One folder's entries in the order their relative paths sort; or why the folder cannot be listed.</summary>
    private static (List<Entry> Entries, string? Problem) List(string directory, string relativeDirectory,
        CancellationToken cancellationToken)
    {
        try
        {
            // A folder sorts as "name/", so that "a/x" comes where it sorts among "a-b", "a.txt" and "a0".
            var entries = new DirectoryInfo(directory).EnumerateFileSystemInfos("*", OneLevel)
                .Select(e =>
                {
                    cancellationToken.ThrowIfCancellationRequested(); // a folder may hold many thousands of entries
                    return new Entry(e, relativeDirectory + e.Name, e.Attributes.HasFlag(FileAttributes.ReparsePoint));
                })
                .OrderBy(e => e.Info is DirectoryInfo && !e.IsLink ? e.Relative + "/" : e.Relative, StringComparer.Ordinal)
                .ToList();
            return (entries, null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            return ([], $"the folder cannot be read: {ex.Message}");
        }
    }

    /// <summary>Why a symbolic link to a file is not read (it dangles, or its file lies outside the folder); null when it may be.</summary>
    private static string? LinkProblem(string link, string root)
    {
        var target = InputFiles.RealPath(link);
        if (target is null) return "a symbolic link to nothing";
        if (InputFiles.KindOf(target) == FileKind.Directory) return "a symbolic link to a folder, not followed";
        return InputFiles.IsUnder(target, root) ? null : "a symbolic link to a file outside the folder, not followed";
    }
}
