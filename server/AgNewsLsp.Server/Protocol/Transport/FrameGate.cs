using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;

namespace AgNewsLsp.Server.Protocol.Transport;

/// <summary>
/// What the gate found wrong with one incoming frame: the reply to send (id may be null). A notification
/// (a method and no id) is never answered, so its rejection has <see cref="Reply"/> false and is only logged.
/// </summary>
public sealed record RejectedFrame(int Code, string Message, JsonElement? Id, bool Reply = true);

/// <summary>
/// Sits between the raw input and StreamJsonRpc. Reads Content-Length frames, lets through only frames that
/// are well-formed JSON-RPC objects, and reports the others so the session can answer them (-32700 parse
/// error, -32600 invalid request) and keep serving: a stray byte from a client must not end the session.
/// </summary>
public sealed class FrameGate(PipeReader input, PipeWriter output, Func<RejectedFrame, Task> reject, long maxFrameBytes)
{
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();

    /// <summary>Pumps frames until the input ends, then completes the output.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                // 1. headers
                long contentLength;
                while (true)
                {
                    var read = await input.ReadAsync(cancellationToken);
                    var buffer = read.Buffer;
                    var end = IndexOf(buffer, HeaderEnd);
                    if (end is { } at)
                    {
                        var header = Encoding.ASCII.GetString(buffer.Slice(0, at).ToArray());
                        input.AdvanceTo(buffer.GetPosition(at + HeaderEnd.Length));
                        contentLength = ParseContentLength(header);
                        break;
                    }
                    if (buffer.Length > 64 * 1024)
                    {
                        // No header end in sight: drop the junk and tell the client once.
                        input.AdvanceTo(buffer.End);
                        await reject(new RejectedFrame(ErrorCodes.ParseError, "malformed header: no Content-Length header block", null));
                        continue;
                    }
                    if (read.IsCompleted) return;
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
                if (contentLength < 0)
                {
                    await reject(new RejectedFrame(ErrorCodes.ParseError, "malformed header: missing or invalid Content-Length", null));
                    continue;
                }

                // 2. body
                if (contentLength > maxFrameBytes)
                {
                    if (!await SkipAsync(contentLength, cancellationToken)) return;
                    await reject(new RejectedFrame(ErrorCodes.InvalidRequest, $"message of {contentLength} bytes is over the limit of {maxFrameBytes}", null));
                    continue;
                }
                var body = await ReadBodyAsync(contentLength, cancellationToken);
                if (body is null) return;

                // 3. validate, forward or reject
                var rejection = Validate(body);
                if (rejection is not null)
                {
                    await reject(rejection);
                    continue;
                }
                var prefix = Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n");
                await output.WriteAsync(prefix, cancellationToken);
                var flush = await output.WriteAsync(body, cancellationToken);
                if (flush.IsCompleted) return;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            error = null; // the stream went away: that is the end of the session, not a failure
        }
        finally
        {
            await input.CompleteAsync();
            await output.CompleteAsync(error);
        }
    }

    /// <summary>A well-formed JSON-RPC message: an object; method a string; params an object or array; id a string, number or null.</summary>
    public static RejectedFrame? Validate(byte[] body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException ex)
        {
            return new RejectedFrame(ErrorCodes.ParseError, $"parse error: {ex.Message}", null);
        }
        catch (ArgumentException ex)
        {
            return new RejectedFrame(ErrorCodes.ParseError, $"parse error: {ex.Message}", null);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return new RejectedFrame(ErrorCodes.InvalidRequest, "invalid request: a message must be a JSON object (batches are not supported)", null);
            JsonElement? id = null;
            if (root.TryGetProperty("id", out var idElement))
            {
                if (idElement.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null))
                    return new RejectedFrame(ErrorCodes.InvalidRequest, "invalid request: id must be a string or a number", null);
                if (idElement.ValueKind == JsonValueKind.Number && !idElement.TryGetInt64(out _))
                    return new RejectedFrame(ErrorCodes.InvalidRequest, "invalid request: a numeric id must be an integer", null);
                id = idElement.ValueKind == JsonValueKind.Null ? null : idElement.Clone();
            }
            if (root.TryGetProperty("method", out var method))
            {
                if (method.ValueKind != JsonValueKind.String)
                    return new RejectedFrame(ErrorCodes.InvalidRequest, "invalid request: method must be a string", id);
                if (root.TryGetProperty("params", out var p) && p.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.Null))
                    return new RejectedFrame(ErrorCodes.InvalidParams, $"invalid params: params of {method.GetString()} must be an object or an array", id,
                        Reply: root.TryGetProperty("id", out _));
                return null;
            }
            if (id is not null && (root.TryGetProperty("result", out _) || root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object))
                return null; // a response to one of our requests
            if (root.TryGetProperty("result", out _) || root.TryGetProperty("error", out _))
                return new RejectedFrame(ErrorCodes.InvalidRequest, "invalid response: no id", null);
            return new RejectedFrame(ErrorCodes.InvalidRequest, "invalid request: no method", id);
        }
    }

    private static long ParseContentLength(string header)
    {
        foreach (var line in header.Split("\r\n"))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            if (!line.AsSpan(0, colon).Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) continue;
            return long.TryParse(line.AsSpan(colon + 1).Trim(), out var n) && n >= 0 ? n : -1;
        }
        return -1;
    }

    private async Task<byte[]?> ReadBodyAsync(long length, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await input.ReadAsync(cancellationToken);
            var buffer = read.Buffer;
            if (buffer.Length >= length)
            {
                var body = buffer.Slice(0, length).ToArray();
                input.AdvanceTo(buffer.GetPosition(length));
                return body;
            }
            if (read.IsCompleted) return null;
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private async Task<bool> SkipAsync(long length, CancellationToken cancellationToken)
    {
        while (length > 0)
        {
            var read = await input.ReadAsync(cancellationToken);
            var take = Math.Min(length, read.Buffer.Length);
            input.AdvanceTo(read.Buffer.GetPosition(take));
            length -= take;
            if (length > 0 && read.IsCompleted) return false;
        }
        return true;
    }

    private static long? IndexOf(ReadOnlySequence<byte> buffer, byte[] needle)
    {
        var reader = new SequenceReader<byte>(buffer);
        return reader.TryReadTo(out ReadOnlySequence<byte> before, needle, advancePastDelimiter: false) ? before.Length : null;
    }
}
