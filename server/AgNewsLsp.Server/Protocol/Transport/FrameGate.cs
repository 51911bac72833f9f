using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using StreamJsonRpc;
using AgNewsLsp.Server.Wire;
using AgNewsLsp.Server.Runtime;

namespace AgNewsLsp.Server.Protocol.Transport;

/// <summary>
/// What the gate found wrong with one incoming frame: the reply to send (id may be null). A notification
/// (a method and no id) is never answered, so its rejection has <see cref="Reply"/> false and is only logged;
/// so is a response that answers nothing of ours.
/// </summary>
public sealed record RejectedFrame(int Code, string Message, JsonElement? Id, bool Reply = true);

/// <summary>What a well-formed message is: a request (with an id), a notification, or a response.</summary>
public enum FrameKind { Request, Notification, Response }

/// <summary>
/// Sits between the raw input and StreamJsonRpc. Reads Content-Length frames, lets through only frames that
/// are well-formed JSON-RPC objects, and reports the others so the session can answer them (-32700 parse
/// error, -32600 invalid request) and keep serving: a stray byte from a client must not end the session.
/// A good header with junk before it is read after the junk is reported; after any other broken header the gate
/// resynchronises on the next "Content-Length:" in the stream. Responses that
/// answer no request of ours and requests whose id is still in flight never reach StreamJsonRpc.
/// </summary>
public sealed class FrameGate(PipeReader input, PipeWriter output, Func<RejectedFrame, Task> reject, long maxFrameBytes, InFlightIds? ids = null)
{
    /// <summary>The most header bytes before the blank line that ends them; real headers are a line or two.</summary>
    public const int MaxHeaderBytes = 8 * 1024;

    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] ContentLength = "Content-Length:"u8.ToArray();
    private readonly InFlightIds inFlight = ids ?? new InFlightIds();

    /// <summary>Pumps frames until the input ends, then completes the output.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            var resync = false;
            while (true)
            {
                if (resync && !await SkipToNextHeaderAsync(cancellationToken)) return;
                resync = false;

                // 1. headers
                string header;
                while (true)
                {
                    var read = await input.ReadAsync(cancellationToken);
                    var buffer = read.Buffer;
                    var end = IndexOf(buffer, HeaderEnd);
                    if (end is { } at && at <= MaxHeaderBytes)
                    {
                        header = Encoding.ASCII.GetString(buffer.Slice(0, at).ToArray());
                        input.AdvanceTo(buffer.GetPosition(at + HeaderEnd.Length));
                        break;
                    }
                    if (buffer.Length > MaxHeaderBytes)
                    {
                        // Junk, or a header that never ends: drop a byte so the search for the next header moves on.
                        input.AdvanceTo(buffer.GetPosition(1));
                        header = "";
                        break;
                    }
                    if (read.IsCompleted)
                    {
                        if (buffer.Length > 0 && !IsBlank(buffer))
                            await reject(new RejectedFrame(ErrorCodes.ParseError, "malformed header: the input ended inside a header", null, Reply: false));
                        return;
                    }
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
                var (contentLength, headerError) = ParseHeader(header, maxFrameBytes);
                if (headerError is not null && RecoverHeader(header) is { } recovered)
                {
                    // Junk glued before a good header (a previous body shorter than its length, a stray write):
                    // report the junk, read the frame.
                    await reject(new RejectedFrame(ErrorCodes.ParseError, $"malformed header: skipped {recovered.Skipped} bytes of junk before a header", null));
                    (contentLength, headerError) = (recovered.Length, null);
                }
                if (headerError is not null)
                {
                    await reject(new RejectedFrame(ErrorCodes.ParseError, headerError, null));
                    resync = true;
                    continue;
                }
                if (contentLength > maxFrameBytes)
                {
                    // Refused at once, unread: a length this size is a lie or an attack; what follows is skipped
                    // up to the next header.
                    await reject(new RejectedFrame(ErrorCodes.InvalidRequest,
                        $"message of {contentLength} bytes is over the limit of {maxFrameBytes} bytes", null));
                    resync = true;
                    continue;
                }

                // 2. body
                IdleMemoryReclaimer.Shared.Busy();
                var body = await ReadBodyAsync(contentLength, cancellationToken);
                if (body is null) return;
                IdleMemoryReclaimer.Shared.Busy();

                // 3. validate, forward or reject
                if (Admit(body) is { } rejection)
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
            // the stream went away: that is the end of the session, not a failure
        }
        finally
        {
            await input.CompleteAsync();
            await output.CompleteAsync();
        }
    }

    /// <summary>Validation, then the in-flight rules: a request id that is still open, a response that answers nothing.</summary>
    private RejectedFrame? Admit(byte[] body)
    {
        var (kind, id, rejection) = Classify(body);
        if (rejection is not null)
        {
            // Every answer with an id is counted, so that the rejection cannot close another request's entry.
            if (rejection.Reply && rejection.Id is { } rejectedId) inFlight.BeginInbound(ToRequestId(rejectedId));
            return rejection;
        }
        switch (kind)
        {
            case FrameKind.Request:
                var requestId = ToRequestId(id!.Value);
                if (!inFlight.BeginInbound(requestId))
                    return new RejectedFrame(ErrorCodes.InvalidRequest, $"invalid request: id {id.Value.GetRawText()} is already in use by a request in flight", id);
                return null;
            case FrameKind.Response:
                return inFlight.TryEndOutbound(ToRequestId(id!.Value))
                    ? null
                    : new RejectedFrame(ErrorCodes.InvalidRequest, $"ignored a response with id {id!.Value.GetRawText()}: it answers no request of ours", id, Reply: false);
            default:
                return null;
        }
    }

    /// <summary>The id as StreamJsonRpc keys it.</summary>
    public static RequestId ToRequestId(JsonElement id) => id.ValueKind switch
    {
        JsonValueKind.Number => new RequestId(id.GetInt64()),
        JsonValueKind.String => new RequestId(id.GetString()),
        _ => RequestId.Null,
    };

    /// <summary>A well-formed JSON-RPC message: an object; method a string; params an object or array; id a string, number or null.</summary>
    public static RejectedFrame? Validate(byte[] body) => Classify(body).Rejection;

    private static (FrameKind Kind, JsonElement? Id, RejectedFrame? Rejection) Classify(byte[] body)
    {
        static (FrameKind, JsonElement?, RejectedFrame?) Reject(RejectedFrame r) => (default, null, r);
        if (!System.Text.Unicode.Utf8.IsValid(body))
            return Reject(new RejectedFrame(ErrorCodes.ParseError, "parse error: the body is not valid UTF-8", null));
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            return Reject(new RejectedFrame(ErrorCodes.ParseError, $"parse error: {ex.Message}", null));
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return Reject(new RejectedFrame(ErrorCodes.InvalidRequest, "invalid request: a message must be a JSON object (batches are not supported)", null));
            JsonElement? id = null;
            var hasId = root.TryGetProperty("id", out var idElement);
            if (hasId)
            {
                if (idElement.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null))
                    return Reject(new RejectedFrame(ErrorCodes.InvalidRequest, "invalid request: id must be a string or a number", null));
                if (idElement.ValueKind == JsonValueKind.Number && !idElement.TryGetInt64(out _))
                    return Reject(new RejectedFrame(ErrorCodes.InvalidRequest, "invalid request: a numeric id must be an integer", null));
                id = idElement.ValueKind == JsonValueKind.Null ? null : idElement.Clone();
            }
            if (root.TryGetProperty("method", out var method))
            {
                if (method.ValueKind != JsonValueKind.String)
                    return Reject(new RejectedFrame(ErrorCodes.InvalidRequest, "invalid request: method must be a string", id));
                if (root.TryGetProperty("params", out var p) && p.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.Null))
                    return Reject(new RejectedFrame(ErrorCodes.InvalidParams, $"invalid params: params of {method.GetString()} must be an object or an array", id,
                        Reply: hasId));
                if (hasId && id is null)
                    return Reject(new RejectedFrame(ErrorCodes.InvalidRequest, "invalid request: id must be a string or a number, not null", null));
                return (hasId ? FrameKind.Request : FrameKind.Notification, id, null);
            }
            if (id is not null && (root.TryGetProperty("result", out _) || root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object))
                return (FrameKind.Response, id, null); // a response to one of our requests, if Admit finds it open
            if (root.TryGetProperty("result", out _) || root.TryGetProperty("error", out _))
                return Reject(new RejectedFrame(ErrorCodes.InvalidRequest, "invalid response: no id", null, Reply: false));
            return Reject(new RejectedFrame(ErrorCodes.InvalidRequest, "invalid request: no method", id));
        }
    }

    /// <summary>
    /// The header block: "Name: value" lines, exactly one Content-Length of decimal digits. A length too large for a
    /// long is reported as one over the limit. Returns the length, or an error that names what is wrong.
    /// </summary>
    public static (long Length, string? Error) ParseHeader(string header, long maxFrameBytes)
    {
        if (header.Length == 0) return (-1, "malformed header: no header block found in the input");
        long? length = null;
        foreach (var line in header.TrimStart('\r', '\n').Split("\r\n"))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0 || line.AsSpan(0, colon).ContainsAny(" \t\0"))
                return (-1, $"malformed header: '{Printable(line)}' is not a 'Name: value' line");
            if (!line.AsSpan(0, colon).Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) continue;
            if (length is not null) return (-1, "malformed header: more than one Content-Length");
            var value = line.AsSpan(colon + 1).Trim(' ');
            if (value.Length == 0 || value.ContainsAnyExcept("0123456789"))
                return (-1, $"malformed header: Content-Length '{Printable(value.ToString())}' is not a non-negative whole number");
            length = long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : long.MaxValue;
        }
        return length is { } l ? (l, null) : (-1, "malformed header: missing Content-Length");
    }

    /// <summary>
    /// A good header at the end of a bad block: the last "Content-Length:" whose rest parses, with no other
    /// Content-Length before it (two lengths are ambiguous, never guessed). Null when there is none.
    /// </summary>
    public static (long Length, int Skipped)? RecoverHeader(string header)
    {
        var at = header.LastIndexOf("Content-Length:", StringComparison.OrdinalIgnoreCase);
        if (at <= 0 || header.AsSpan(0, at).Contains("Content-Length", StringComparison.OrdinalIgnoreCase)) return null;
        var (length, error) = ParseHeader(header[at..], long.MaxValue);
        return error is null ? (length, at) : null;
    }

    private static string Printable(string s)
    {
        var cut = s.Length > 60 ? s[..60] + "..." : s;
        return new string(cut.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }

    /// <summary>Drops input up to the next "Content-Length:" (any case); false when the input ends first.</summary>
    private async Task<bool> SkipToNextHeaderAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await input.ReadAsync(cancellationToken);
            var buffer = read.Buffer;
            if (IndexOfIgnoreCase(buffer, ContentLength) is { } at)
            {
                input.AdvanceTo(buffer.GetPosition(at));
                return true;
            }
            if (read.IsCompleted)
            {
                input.AdvanceTo(buffer.End);
                return false;
            }
            // Keep a tail that could be the start of the marker.
            var keep = Math.Min(buffer.Length, ContentLength.Length - 1);
            input.AdvanceTo(buffer.GetPosition(buffer.Length - keep), buffer.End);
        }
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

    private static bool IsBlank(ReadOnlySequence<byte> buffer)
    {
        foreach (var segment in buffer)
            if (segment.Span.ContainsAnyExcept(" \t\r\n"u8)) return false;
        return true;
    }

    private static long? IndexOf(ReadOnlySequence<byte> buffer, byte[] needle)
    {
        var reader = new SequenceReader<byte>(buffer);
        return reader.TryReadTo(out ReadOnlySequence<byte> before, needle, advancePastDelimiter: false) ? before.Length : null;
    }

    private static long? IndexOfIgnoreCase(ReadOnlySequence<byte> buffer, byte[] needle)
    {
        var bytes = buffer.IsSingleSegment ? buffer.FirstSpan : buffer.ToArray();
        for (var i = 0; i + needle.Length <= bytes.Length; i++)
        {
            if ((bytes[i] | 0x20) != (needle[0] | 0x20)) continue;
            var match = true;
            for (var j = 1; j < needle.Length && match; j++)
                match = bytes[i + j] == needle[j] || (char.IsAsciiLetter((char)needle[j]) && (bytes[i + j] | 0x20) == (needle[j] | 0x20));
            if (match) return i;
        }
        return null;
    }
}
