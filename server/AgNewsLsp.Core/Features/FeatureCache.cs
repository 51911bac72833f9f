using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace AgNewsLsp.Features;

/// <summary>
/// Pooled features on disk, keyed by model fingerprint + pooling + max tokens + precision (one file
/// each) and, inside a file, by the SHA-256 of the text. Re-training a head on the same texts then costs
/// seconds instead of an encoder pass. The file is append-only fixed-size records (16-byte key, floats);
/// a torn last record from a crash is ignored on load, so nothing already cached is ever lost.
/// </summary>
public sealed class FeatureCache
{
    private readonly string _path;
    private readonly int _dimension;
    private readonly Dictionary<UInt128, float[]> _entries = new();
    private readonly Lock _gate = new();

    public string FilePath => _path;
    public int Count { get { lock (_gate) return _entries.Count; } }

    public FeatureCache(string directory, string fingerprint, string pooling, int maxTokens, string precision, int dimension)
    {
        Directory.CreateDirectory(directory);
        var safePooling = pooling.Replace('+', '_');
        _path = Path.Combine(directory, $"{fingerprint}-{safePooling}-t{maxTokens}-{precision}-d{dimension}.features");
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
            // One write of whole records in append mode: a concurrent reader sees whole records or a torn tail it skips.
            using var file = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            file.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
            file.Flush(flushToDisk: true);
        }
    }

    private void Load()
    {
        if (!File.Exists(_path)) return;
        int recordSize = 16 + 4 * _dimension;
        var bytes = File.ReadAllBytes(_path);
        for (int at = 0; at + recordSize <= bytes.Length; at += recordSize)
        {
            var key = MemoryMarshal.Read<UInt128>(bytes.AsSpan(at, 16));
            _entries[key] = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(at + 16, 4 * _dimension)).ToArray();
        }
    }
}
