namespace AgNewsLsp.IO;

/// <summary>
/// Writes files so that readers see the old content or the new, never a torn mix: write a temp file
/// beside the target, flush it to disk, then rename over the target.
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
        var full = Path.GetFullPath(path);
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
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
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
