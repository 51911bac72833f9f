using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace AgNewsLsp.Server.Runtime;

/// <summary>
/// The secret a TCP client must show (as Jupyter does): any local process can connect to 127.0.0.1, but only
/// the user who started the server can read the token file, which is created with mode 0600 in a 0700 folder.
/// The client passes the file's content as initialize's initializationOptions.token.
/// </summary>
public sealed class ConnectionToken : IDisposable
{
    private ConnectionToken(string value, string path)
    {
        Value = value;
        FilePath = path;
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

    /// <summary>A fresh random token, written to <paramref name="path"/> readable by the user only.</summary>
    public static ConnectionToken Create(string path)
    {
        var value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // A stale file (or a link someone planted) is removed, never written through.
        File.Delete(full);
        using (var stream = new FileStream(full, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            stream.Write(Encoding.ASCII.GetBytes(value));
        }
        return new ConnectionToken(value, full);
    }

    /// <summary>True when initializationOptions.token equals <paramref name="expected"/> (compared in constant time).</summary>
    public static bool Matches(string expected, JsonElement? initializationOptions)
    {
        if (initializationOptions is not { ValueKind: JsonValueKind.Object } options) return false;
        if (!options.TryGetProperty("token", out var given) || given.ValueKind != JsonValueKind.String) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given.GetString()!.Trim()), Encoding.UTF8.GetBytes(expected));
    }

    public void Dispose()
    {
        try { File.Delete(FilePath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
