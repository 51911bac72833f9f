namespace AgNewsLsp.IO;

/// <summary>
/// Writes files so that readers see the old content or the new, never a torn mix: write a temp file
/// beside the target, flush it to disk, then rename over the target. What the path names decides how (the one rule
/// for every output: a head, `--out` of label, train and embed, labelFolder's output; docs/security.md):
/// <list type="bullet">
/// <item>nothing, or a regular file: written atomically as above;</item>
/// <item>a symbolic link: followed, and the file it names written atomically (the link stays a link);</item>
/// <item>a FIFO or a character device (<c>--out /dev/stdout</c>): written through, since renaming a file over it would
/// replace the device or pipe with a file;</item>
/// <item>a folder, a block device or a socket: refused.</item>
/// </list>
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write) =>
        WriteAsync(path, (stream, _) => { write(stream); return Task.CompletedTask; }, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>
    /// As <see cref="Write"/>, for writers that await: when <paramref name="write"/> throws or is cancelled, the temp
    /// file is deleted and the target is left as it was.
    /// </summary>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var full = WrittenPath(path);
        switch (InputFiles.TypeOf(full))
        {
            case null or UnixFileType.Regular:
                break;
            case UnixFileType.Fifo or UnixFileType.CharacterDevice:
                await using (var through = new FileStream(full, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1 << 16))
                    await write(through, cancellationToken);
                return;
            case UnixFileType.Directory:
                throw new IOException($"{path} is a folder; name a file to write");
            case var other:
                throw new IOException($"{path} is a {(other == UnixFileType.BlockDevice ? "block device" : "socket")}; name a regular file, a FIFO or a character device");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}{TempSuffix}");
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                await write(stream, cancellationToken);
                cancellationToken.ThrowIfCancellationRequested();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e.Message.Contains(temp, StringComparison.Ordinal))
        {
            // The user named the target; the temp file beside it is ours, and means nothing to them.
            throw new IOException($"cannot write {full}: {e.Message.Replace($"'{temp}'", "it").Replace(temp, full)}", e);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// The file a write of <paramref name="path"/> lands in: a symbolic link's final target (which may not exist yet),
    /// else the path itself. Whoever checks where an output may go checks this path.
    /// </summary>
    public static string WrittenPath(string path)
    {
        var full = Path.GetFullPath(path);
        try
        {
            return File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
        }
        catch (IOException)
        {
            return full; // a loop of links: the write will say what is wrong
        }
    }

    private const string TempSuffix = ".tmp";

    /// <summary>True when <paramref name="path"/> is a temp file that a write of <paramref name="target"/> makes beside it.</summary>
    public static bool IsTempFileOf(string path, string target)
    {
        var (full, fullTarget) = (Path.GetFullPath(path), Path.GetFullPath(target));
        var name = Path.GetFileName(full);
        return Path.GetDirectoryName(full) == Path.GetDirectoryName(fullTarget)
               && name.StartsWith($".{Path.GetFileName(fullTarget)}.", StringComparison.Ordinal)
               && name.EndsWith(TempSuffix, StringComparison.Ordinal);
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false), leaveOpen: true); w.Write(text); });

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }
}
