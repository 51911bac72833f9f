namespace AgNewsLsp.IO;

/// <summary>How a write treats what its output path names.</summary>
public enum OutputKind
{
    /// <summary>A regular file or nothing: a temp file beside it is renamed over it (<see cref="AtomicFile"/>).</summary>
    Replace,

    /// <summary>A FIFO or character device (<c>--out /dev/stdout</c>): opened and written, never renamed over.</summary>
    WriteThrough,
}

/// <param name="Named">The full path the user gave (what messages name).</param>
/// <param name="Path">Where the write goes: <paramref name="Named"/>, or the file a symbolic link names.</param>
public sealed record OutputTarget(string Named, string Path, OutputKind Kind);

/// <summary>
/// The one rule for every output path (--out of label, train and embed; labelFolder's output; heads and caches), so that
/// no write replaces what the user did not mean to replace: docs/security.md, "What --out does with each kind of path".
/// </summary>
public static class OutputPath
{
    public static OutputTarget Resolve(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        switch (InputFiles.FileTypeOf(full, followLinks: true))
        {
            case FileType.Fifo or FileType.CharacterDevice:
                return new OutputTarget(full, full, OutputKind.WriteThrough);
            case FileType.Directory:
                throw new OutputPathRefusedException(full, "a folder");
            case FileType.BlockDevice:
                // Writing a disk is never what --out meant, and replacing the node would break the system's view of it.
                throw new OutputPathRefusedException(full, "a block device");
            case FileType.Socket:
                throw new OutputPathRefusedException(full, "a socket");
        }
        // A regular file or nothing. A link is followed, so that the link stays and the file it names is replaced.
        var target = InputFiles.FileTypeOf(full, followLinks: false) == FileType.Link
            ? new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full
            : full;
        return new OutputTarget(full, target, OutputKind.Replace);
    }
}

/// <summary>An output path that names something no write may replace or write into: a folder, a block device, a socket.</summary>
public sealed class OutputPathRefusedException(string path, string what)
    : IOException($"the output {path} is {what}; name a file (or a FIFO or character device to write through)")
{
    public string Path { get; } = path;
}
