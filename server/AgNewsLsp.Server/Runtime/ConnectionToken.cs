using System.Security.Cryptography;
using AgNewsLsp.IO;
using System.Text;
using System.Text.Json;

namespace AgNewsLsp.Server.Runtime;

/// <summary>
/// The secret a TCP client must show (as Jupyter does): any local process can connect to 127.0.0.1, but only
/// the user who started the server can read the token file, which is created with mode 0600 in a folder only the user
/// may write. The client passes the file's content as initialize's initializationOptions.token.
/// The server holds the file open, with a shared advisory lock (flock, which .NET takes for FileShare.Read), for as long
/// as it runs: that lock is how a second server tells a running server's token from a stale one.
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
    /// A fresh random token, written to <paramref name="path"/> readable by the user only. Nothing already at the path is
    /// replaced except a stale token (<see cref="RemoveStaleToken"/>); otherwise <see cref="TokenFileRefusedException"/>.
    /// </summary>
    public static ConnectionToken Create(string path)
    {
        var value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(TokenBytes));
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        else if ((File.GetUnixFileMode(folder) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            // Another user could swap the token file (or plant one) in such a folder, between our write and a client's read.
            throw new TokenFileRefusedException(
                $"the token folder {folder} is writable by group or others; choose a folder only you can write (or chmod go-w it)");

        FileStream held;
        try
        {
            held = CreateExclusive(full);
        }
        catch (IOException) when (Path.Exists(full) || new FileInfo(full).LinkTarget is not null)
        {
            RemoveStaleToken(full);
            held = CreateExclusive(full);
        }
        held.Write(Encoding.ASCII.GetBytes(value));
        held.Flush();
        return new ConnectionToken(value, full, held);
    }

    private const int TokenBytes = 32;

    /// <summary>O_CREAT|O_EXCL, so that nothing there (a file, a link, a FIFO) is written through; kept open for the lock.</summary>
    private static FileStream CreateExclusive(string path) => new(path, new FileStreamOptions
    {
        Mode = FileMode.CreateNew,
        Access = FileAccess.Write,
        Share = FileShare.Read, // a shared flock: readers of the token may open it, a second server's exclusive lock fails
        UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
    });

    /// <summary>
    /// Deletes what lies at <paramref name="path"/> when it is the token of a server no longer running: a regular file (not
    /// a link) holding 64 hex digits that no process holds locked (a server holds its token locked until it exits, and the
    /// kernel drops the lock of a killed one). Anything else is refused.
    /// </summary>
    private static void RemoveStaleToken(string path)
    {
        var refusal = $"the token file {path} already exists";
        if (new FileInfo(path).LinkTarget is not null || InputFiles.KindOf(path) != FileKind.Regular)
            throw new TokenFileRefusedException($"{refusal} and is not a token file; remove it or choose another --tokenFile");
        FileStream probe;
        try
        {
            probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None); // an exclusive flock, not waited for
        }
        catch (IOException e)
        {
            throw new TokenFileRefusedException(
                $"{refusal} and is the token of a running agnews server ({e.Message}); stop it or choose another --tokenFile");
        }
        using (probe)
        {
            var head = new byte[TokenBytes * 2 + 3];
            var read = probe.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            if (!IsToken(Encoding.ASCII.GetString(head, 0, read)))
                throw new TokenFileRefusedException(
                    $"{refusal} and does not hold an agnews token; remove it or choose another --tokenFile");
            File.Delete(path); // while the lock is held, so that no server starting now takes it over in between
        }
    }

    private static bool IsToken(string text)
    {
        var token = text.TrimEnd();
        return token.Length == TokenBytes * 2 && token.All(char.IsAsciiHexDigitLower);
    }

    /// <summary>True when initializationOptions.token equals <paramref name="expected"/> (compared in constant time).</summary>
    public static bool Matches(string expected, JsonElement? initializationOptions)
    {
        if (initializationOptions is not { ValueKind: JsonValueKind.Object } options) return false;
        if (!options.TryGetProperty("token", out var given) || given.ValueKind != JsonValueKind.String) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given.GetString()!.Trim()), Encoding.UTF8.GetBytes(expected));
    }

    /// <summary>Deletes the token file if it is still the one this server wrote (a user may have put another there since).</summary>
    public void Dispose()
    {
        try
        {
            if (new FileInfo(FilePath).LinkTarget is null && File.Exists(FilePath) && File.ReadAllText(FilePath) == Value)
                File.Delete(FilePath);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        finally
        {
            held.Dispose();
        }
    }
}

/// <summary>The token file cannot be made where it was asked for without clobbering something: exit 2.</summary>
public sealed class TokenFileRefusedException(string message) : IOException(message);
