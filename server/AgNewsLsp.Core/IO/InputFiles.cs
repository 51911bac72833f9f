using System.Runtime.InteropServices;
using System.Text;

namespace AgNewsLsp.IO;

/// <summary>A path that names something other than a regular file (a device, FIFO, socket) where data is expected.</summary>
public sealed class NotARegularFileException(string path)
    : IOException($"{path} is not a regular file (a device, FIFO or socket?); only regular files are read")
{
    public string Path { get; } = path;
}

/// <summary>The bounds on what the engine and its fronts read. Each is defined here once; docs/security.md lists them.</summary>
public static class InputLimits
{
    /// <summary>Largest text labelled at once, in UTF-8 bytes: a classify text, a hovered unit, a document or file to label.</summary>
    public const int DefaultMaxTextBytes = 1 << 20;

    /// <summary>Largest labelled data file (train, evaluate) read.</summary>
    public const long MaxDataFileBytes = 4L << 30;

    /// <summary>Longest record of a data file (a CSV record, a JSONL line), in characters.</summary>
    public const int MaxRecordChars = 1 << 20;

    /// <summary>Why a text cannot be labelled (NUL characters, over <paramref name="maxBytes"/>), or null when it can.</summary>
    public static string? TextProblem(string text, string what, long maxBytes)
    {
        if (text.Contains('\0')) return $"{what} looks binary (contains NUL characters)";
        // Cheap upper bound first: a UTF-16 char is at most 3 UTF-8 bytes.
        if ((long)text.Length * 3 > maxBytes && Encoding.UTF8.GetByteCount(text) is var bytes && bytes > maxBytes)
            return $"{what} is too large ({bytes} bytes; the limit is {maxBytes})";
        return null;
    }
}

/// <summary>
/// Reads the user's files safely: only regular files (a device such as /dev/zero, a FIFO or /dev/stdin would
/// never end or never answer), and never more than a given number of bytes.
/// </summary>
public static class InputFiles
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1, StatxSize = 0x200;
    private const ushort FileTypeMask = 0xF000, RegularFile = 0x8000, DirectoryType = 0x4000;

    /// <summary>The kind of what a path names (symbolic links followed); null when it does not exist.</summary>
    public static FileKind? KindOf(string path)
    {
        if (!OperatingSystem.IsLinux())
            return File.Exists(path) ? FileKind.Regular : Directory.Exists(path) ? FileKind.Directory : null;
        Span<byte> buffer = stackalloc byte[256]; // struct statx
        if (Statx(AtFdCwd, path, 0, StatxType | StatxSize, ref MemoryMarshal.GetReference(buffer)) != 0) return null;
        var mode = (ushort)(BitConverter.ToUInt16(buffer[0x1C..]) & FileTypeMask); // stx_mode
        return mode switch { RegularFile => FileKind.Regular, DirectoryType => FileKind.Directory, _ => FileKind.Other };
    }

    /// <summary>
    /// The file type bits of stx_mode (S_IFIFO, S_IFCHR, ...) of what <paramref name="path"/> names, the link itself when
    /// <paramref name="followLinks"/> is false; null when it does not exist (or, off Linux, when it is not a file or folder).
    /// </summary>
    internal static int? FileTypeOf(string path, bool followLinks)
    {
        if (!OperatingSystem.IsLinux())
        {
            var info = new FileInfo(path);
            if (!followLinks && info.LinkTarget is not null) return FileType.Link;
            return File.Exists(path) ? FileType.Regular : Directory.Exists(path) ? FileType.Directory : null;
        }
        Span<byte> buffer = stackalloc byte[256]; // struct statx
        if (Statx(AtFdCwd, path, followLinks ? 0 : AtSymlinkNoFollow, StatxType, ref MemoryMarshal.GetReference(buffer)) != 0) return null;
        return BitConverter.ToUInt16(buffer[0x1C..]) & FileTypeMask; // stx_mode
    }

    private const int AtSymlinkNoFollow = 0x100;

    /// <summary>Throws <see cref="FileNotFoundException"/> or <see cref="NotARegularFileException"/> unless the path is a regular
    /// file.</summary>
    public static void EnsureRegularFile(string path)
    {
        switch (KindOf(path))
        {
            case null: throw new FileNotFoundException($"No such file: {path}", path);
            case FileKind.Regular: return;
            default: throw new NotARegularFileException(path);
        }
    }

    /// <summary>Opens a regular file for reading, refusing one over <paramref name="maxBytes"/>.</summary>
    public static FileStream OpenRegular(string path, long maxBytes, int bufferSize = 1 << 16)
    {
        EnsureRegularFile(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize);
        try
        {
            if (stream.Length > maxBytes)
                throw new InvalidDataException($"{path} is too large ({stream.Length} bytes; the limit is {maxBytes})");
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The bytes of a regular file of at most <paramref name="maxBytes"/> bytes, read in one piece. A file that grows
    /// while read is cut one byte past its starting length (and refused if that is past the limit).
    /// </summary>
    public static ReadOnlyMemory<byte> ReadBytes(string path, long maxBytes)
    {
        using var stream = OpenRegular(path, maxBytes, bufferSize: 0); // unbuffered: one read into the array, no copy through a buffer
        var bytes = new byte[Math.Min(stream.Length, maxBytes) + 1];
        var n = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        if (n > maxBytes) throw new InvalidDataException($"{path} is too large (over {maxBytes} bytes)");
        return bytes.AsMemory(0, n);
    }

    /// <summary>The text of a regular UTF-8 file of at most <paramref name="maxBytes"/> bytes (a file that grows while read is cut off
    /// there).</summary>
    public static async Task<string> ReadTextAsync(string path, long maxBytes, CancellationToken cancellationToken = default)
    {
        await using var stream = OpenRegular(path, maxBytes);
        var bytes = new byte[Math.Min(stream.Length, maxBytes) + 1];
        var n = await stream.ReadAtLeastAsync(bytes, bytes.Length, throwOnEndOfStream: false, cancellationToken);
        if (n > maxBytes) throw new InvalidDataException($"{path} is too large (over {maxBytes} bytes)");
        return new UTF8Encoding(false).GetString(bytes, 0, n).TrimStart('\uFEFF');
    }

    /// <summary>Reads all of a reader, refusing more than <paramref name="maxChars"/> characters.</summary>
    public static async Task<string> ReadToEndAsync(TextReader reader, int maxChars, string what,
        CancellationToken cancellationToken = default)
    {
        var sb = new StringBuilder();
        var chunk = new char[1 << 14];
        while (true)
        {
            var n = await reader.ReadAsync(chunk.AsMemory(), cancellationToken);
            if (n == 0) return sb.ToString();
            if (sb.Length + n > maxChars) throw new InvalidDataException($"{what} is too large (over {maxChars} characters)");
            sb.Append(chunk, 0, n);
        }
    }

    /// <summary>The canonical absolute path (every symbolic link resolved), or null when it does not exist.</summary>
    public static string? RealPath(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return File.Exists(path) || Directory.Exists(path) ? Path.GetFullPath(path) : null;
        var resolved = RealPathNative(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero) return null;
        try { return Marshal.PtrToStringUTF8(resolved); }
        finally { Free(resolved); }
    }

    /// <summary>
    /// True when <paramref name="path"/> (resolved) lies inside <paramref name="folder"/> (resolved). A path that does
    /// not exist is judged by its folder, so that a missing file in the workspace can be reported as missing.
    /// </summary>
    public static bool IsUnder(string path, string folder)
    {
        if (ResolvedForContainment(path) is not { } file || RealPath(folder) is not { } root) return false;
        var prefix = root.EndsWith('/') ? root : root + "/";
        return file.StartsWith(prefix, StringComparison.Ordinal);
    }

    /// <summary>
    /// The path with links resolved, to judge which folder it lies in; a path that does not exist is resolved through its
    /// folder. Null when not even its folder exists.
    /// </summary>
    public static string? ResolvedForContainment(string path)
    {
        var file = RealPath(path);
        if (file is null && Path.GetDirectoryName(Path.GetFullPath(path)) is { } parent && RealPath(parent) is { } realParent)
            file = Path.Combine(realParent, Path.GetFileName(path));
        return file;
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, ref byte buffer);

    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    private static extern IntPtr RealPathNative([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc", EntryPoint = "free")]
    private static extern void Free(IntPtr pointer);
}

public enum FileKind { Regular, Directory, Other }

/// <summary>The S_IFMT values of stat(2): what <see cref="InputFiles.FileTypeOf"/> returns.</summary>
internal static class FileType
{
    public const int Fifo = 0x1000, CharacterDevice = 0x2000, Directory = 0x4000, BlockDevice = 0x6000,
        Regular = 0x8000, Link = 0xA000, Socket = 0xC000;
}
