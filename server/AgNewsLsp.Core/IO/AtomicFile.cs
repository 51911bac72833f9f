namespace AgNewsLsp.IO;

/// <summary>
/// Writes files so that readers see the old content or the new, never a torn mix: write a temp file
/// beside the target, flush it to disk, then rename over the target. What the path names decides first
/// (<see cref="OutputPath"/>): a FIFO or character device is written through, a link's target is replaced, a folder or
/// block device is refused.
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
        var output = OutputPath.Resolve(path);
        if (output.Kind == OutputKind.WriteThrough)
        {
            await WriteThroughAsync(output.Path, write, cancellationToken);
            return;
        }
        var full = output.Path;
        var folder = Path.GetDirectoryName(full)!;
        if (full == output.Named) Directory.CreateDirectory(folder); // not the folder a link points into: that is the link's business
        var temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}{TempSuffix}");
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
            // The temp file is ours, not the user's: name the path they gave.
            throw Renamed(e, e.Message.Replace(temp, output.Named, StringComparison.Ordinal));
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static Exception Renamed(Exception e, string message) => e switch
    {
        UnauthorizedAccessException => new UnauthorizedAccessException(message, e),
        DirectoryNotFoundException => new DirectoryNotFoundException(message, e),
        FileNotFoundException => new FileNotFoundException(message, e),
        _ => new IOException(message, e),
    };

    /// <summary>Writes into a FIFO or character device as a shell's <c>&gt;</c> does; a cancelled run may leave part of its output
    /// there.</summary>
    private static async Task WriteThroughAsync(string path, Func<Stream, CancellationToken, Task> write,
        CancellationToken cancellationToken)
    {
        // Opening a FIFO waits for a reader, inside open(2): on a pool thread, so that cancelling still ends the wait.
        var opening = Task.Run(() => new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1 << 16));
        FileStream stream;
        try
        {
            stream = await opening.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Become the reader the open waits for, so that the pool thread is not held forever; then close both ends.
            _ = opening.ContinueWith(t => t.Result.Dispose(), TaskContinuationOptions.OnlyOnRanToCompletion);
            if (InputFiles.FileTypeOf(path, followLinks: true) == FileType.Fifo)
                _ = Task.Run(() => { try { new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite).Dispose(); }
                    catch (IOException) { } });
            throw;
        }
        await using (stream)
        {
            await write(stream, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            await stream.FlushAsync(cancellationToken);
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
