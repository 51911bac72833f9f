using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AgNewsLsp.IO;

namespace AgNewsLsp.Server.Runtime;

/// <summary>Why a token file cannot be made where it was asked for: the path holds something else (exit 2).</summary>
public sealed class TokenFileRefusedException(string message) : IOException(message);

/// <summary>
/// The secret a TCP client must show (as Jupyter does): any local process can connect to 127.0.0.1, but only
/// the user who started the server can read the token file, which is created with mode 0600 in a folder no one else
/// may write. The client passes the file's content as initialize's initializationOptions.token.
/// The file is made only where nothing is, or over a stale token: a file that holds nothing but a token and that no
/// running server holds. A server holds its token file open with a shared lock for as long as it runs (a reader still
/// reads it), so a second server on the same path finds it in use and refuses, and at exit only the file this process
/// made is deleted.
/// </summary>
public sealed class ConnectionToken : IDisposable
{
    private readonly FileStream held;

    private ConnectionToken(string value, string path, FileStream held)
    {
        Value = value;
        FilePath = path;
        this.held = held;
    }

    public string Value { get; }
    public string FilePath { get; }

    /// <summary>Hex characters of a token: 32 random bytes.</summary>
    private const int TokenChars = 64;

    /// <summary>Where the token of a server on <paramref name="port"/> goes when --tokenFile does not say.</summary>
    public static string DefaultPath(int port)
    {
        var runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        var folder = !string.IsNullOrEmpty(runtime) && Directory.Exists(runtime)
            ? Path.Combine(runtime, "agnews")
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "agnews", "run");
        return Path.Combine(folder, $"server-{port}.token");
    }

    /// <summary>
    /// A fresh random token, written to <paramref name="path"/> readable by the user only. Throws
    /// <see cref="TokenFileRefusedException"/> when the path holds anything but a stale token, or its folder may be
    /// written by others.
    /// </summary>
    public static ConnectionToken Create(string path)
    {
        var value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(TokenChars / 2));
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        else if ((File.GetUnixFileMode(folder) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            throw new TokenFileRefusedException(
                $"the token folder {folder} may be written by other users, who could replace the token; use a folder only you can write (chmod go-w)");
        RemoveStaleToken(full);
        var stream = new FileStream(full, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, // never through a link or over a file: the path was checked empty just now
            Access = FileAccess.Write,
            Share = FileShare.Read, // a shared lock, held while the server runs; readers still read
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        try
        {
            stream.Write(Encoding.ASCII.GetBytes(value));
            stream.Flush();
            return new ConnectionToken(value, full, stream);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Deletes a stale token at <paramref name="path"/>; throws when something else is there.</summary>
    private static void RemoveStaleToken(string path)
    {
        var isLink = new FileInfo(path).LinkTarget is not null;
        var type = InputFiles.TypeOf(path); // never opened before it is known to be a regular file: a FIFO would block
        if (type is null && !isLink) return;
        if (isLink || type != UnixFileType.Regular)
            throw new TokenFileRefusedException($"{path} exists and is not a token file (a link, a folder, a FIFO or a device); not replaced");
        try
        {
            // An exclusive lock fails while a running server holds the file (its shared lock).
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None);
            var bytes = new byte[TokenChars + 1];
            var n = probe.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            if (n != TokenChars || bytes.AsSpan(0, n).ContainsAnyExcept("0123456789abcdef"u8))
                throw new TokenFileRefusedException($"{path} exists and is not a token file; not replaced");
        }
        catch (IOException e) when (e is not TokenFileRefusedException)
        {
            throw new TokenFileRefusedException($"{path} is the token file of a server still running; give this one another --token-file");
        }
        File.Delete(path); // a stale token: its server is gone
    }

    /// <summary>True when initializationOptions.token equals <paramref name="expected"/> (compared in constant time).</summary>
    public static bool Matches(string expected, JsonElement? initializationOptions)
    {
        if (initializationOptions is not { ValueKind: JsonValueKind.Object } options) return false;
        if (!options.TryGetProperty("token", out var given) || given.ValueKind != JsonValueKind.String) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given.GetString()!.Trim()), Encoding.UTF8.GetBytes(expected));
    }

    /// <summary>Deletes the token file if it is still the one this process made (held open and locked since).</summary>
    public void Dispose()
    {
        try
        {
            var ours = InputFiles.TypeOf(FilePath) == UnixFileType.Regular && new FileInfo(FilePath).LinkTarget is null
                && File.ReadAllText(FilePath) == Value;
            if (ours) File.Delete(FilePath);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        finally
        {
            held.Dispose();
        }
    }
}
