using AgNewsLsp.Settings;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace AgNewsLsp.Features;

/// <summary>
/// Pooled features on disk, keyed by model fingerprint + pooling + max tokens + precision (one file
/// each) and, inside a file, by the SHA-256 of the text. Re-training a head on the same texts then costs
/// seconds instead of an encoder pass. The file is append-only fixed-size records (16-byte key, floats);
/// a torn last record from a crash is ignored on load and overwritten by the next append, so it never
/// misaligns what follows. Writers hold an exclusive lock on the file while they append.
/// </summary>
public sealed class FeatureCache
{
    private readonly string _path;
    private readonly int _dimension;
    private readonly Dictionary<UInt128, float[]> _entries = new();
    private readonly Lock _gate = new();

    public string FilePath => _path;
    public int Count { get { lock (_gate) return _entries.Count; } }

    public FeatureCache(string directory, string fingerprint, Pooling pooling, int maxTokens, Precision precision, int dimension)
    {
        Directory.CreateDirectory(directory);
        var safePooling = pooling.Name().Replace('+', '_');
        _path = Path.Combine(directory, $"{fingerprint}-{safePooling}-t{maxTokens}-{precision.Name()}-d{dimension}.features");
        _dimension = dimension;
        Load();
    }

    public static UInt128 Key(string text)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return MemoryMarshal.Read<UInt128>(hash);
    }

    public bool TryGet(string text, out float[] features)
    {
        lock (_gate) return _entries.TryGetValue(Key(text), out features!);
    }

    public void AddRange(IEnumerable<(string Text, float[] Features)> items)
    {
        var buffer = new MemoryStream();
        Span<byte> keyBytes = stackalloc byte[16]; // once: a stackalloc inside the loop grows the stack with every item
        lock (_gate)
        {
            foreach (var (text, features) in items)
            {
                if (features.Length != _dimension) throw new ArgumentException($"Feature length {features.Length} != {_dimension}.");
                var key = Key(text);
                if (!_entries.TryAdd(key, features)) continue;
                MemoryMarshal.Write(keyBytes, in key);
                buffer.Write(keyBytes);
                buffer.Write(MemoryMarshal.AsBytes(features.AsSpan()));
            }
            if (buffer.Length == 0) return;
            using var file = OpenExclusive();
            // Write at the last whole record: a torn tail (a crash mid-write) is overwritten, never built upon.
            file.SetLength(file.Length - file.Length % RecordSize);
            file.Seek(0, SeekOrigin.End);
            file.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
            file.Flush(flushToDisk: true);
        }
    }

    private int RecordSize => 16 + 4 * _dimension;

    /// <summary>
    /// Opens the file for writing with FileShare.None, which .NET turns into an exclusive advisory lock on Unix:
    /// another process (the CLI next to the editor's server) waits its turn instead of writing at the same offset.
    /// </summary>
    private FileStream OpenExclusive()
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(_path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 200 && File.Exists(_path))
            {
                Thread.Sleep(50);
            }
        }
    }

    private void Load()
    {
        if (!File.Exists(_path)) return;
        int recordSize = RecordSize;
        byte[] bytes;
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                using var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                bytes = new byte[file.Length];
                file.ReadExactly(bytes);
                break;
            }
            catch (IOException) when (attempt < 200) // a writer holds the lock for one append
            {
                Thread.Sleep(50);
            }
        }
        for (int at = 0; at + recordSize <= bytes.Length; at += recordSize)
        {
            var key = MemoryMarshal.Read<UInt128>(bytes.AsSpan(at, 16));
            _entries[key] = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(at + 16, 4 * _dimension)).ToArray();
        }
    }
}
