using System.Security.Cryptography;

namespace AgNewsLsp.IO;

/// <summary>
/// Passes writes through to a stream and keeps the SHA-256 and length of what went by, so that a file's digest is known
/// when its last byte is written, without reading it back (an <see cref="AtomicFile"/> temp file is opened for writing
/// only, and exclusively). Write-only and forward-only; <see cref="Position"/> is the count written, which is what
/// writers that track offsets (parquet) read.
/// </summary>
public sealed class DigestStream(Stream inner) : Stream
{
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long length;

    /// <summary>The length and SHA-256 (lower-case hex) of everything written so far.</summary>
    public (long Bytes, string Sha256) Digest() => (length, Convert.ToHexStringLower(hash.GetCurrentHash()));

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => length;
    public override long Position { get => length; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        hash.AppendData(buffer);
        length += buffer.Length;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken);
        hash.AppendData(buffer.Span);
        length += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void WriteByte(byte value) => Write([value]);
    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>The inner stream is the caller's (an atomic write's temp file): it stays open.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing) hash.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>The length and SHA-256 (lower-case hex) of a file, read in a stream.</summary>
    public static async Task<(long Bytes, string Sha256)> OfFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var sha = await SHA256.HashDataAsync(stream, cancellationToken);
        return (stream.Length, Convert.ToHexStringLower(sha));
    }
}
