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
/// <param name="authenticated">
/// For a connection that must show a token (TCP): whether it has. Until then only initialize and exit are admitted, in
/// frames of at most <see cref="MaxUnauthenticatedFrameBytes"/>, so a stranger can neither fill memory nor reach a handler.
/// Null: nothing to show (stdio).
/// </param>
public sealed class FrameGate(PipeReader input, PipeWriter output, Func<RejectedFrame, Task> reject, long maxFrameBytes,
    InFlightIds? ids = null, Func<bool>? authenticated = null)
{
    /// <summary>The most header bytes before the blank line that ends them; real headers are a line or two.</summary>
    public const int MaxHeaderBytes = 8 * 1024;

    /// <summary>The largest frame read before the token is shown: an initialize is a few KiB.</summary>
    public const int MaxUnauthenticatedFrameBytes = 64 * 1024;

    private bool Authenticated => authenticated?.Invoke() ?? true;

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
                    if (FindHeaderEnd(buffer) is { } end)
                    {
                        header = Encoding.ASCII.GetString(buffer.Slice(0, end.At).ToArray());
                        input.AdvanceTo(buffer.GetPosition(end.At + end.Length));
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
                            await reject(new RejectedFrame(ErrorCodes.ParseError,
                                "malformed header: the input ended inside a header", null, Reply: false));
                        return;
                    }
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
                var (contentLength, headerError) = ParseHeader(header, maxFrameBytes);
                if (headerError is not null && RecoverHeader(header) is { } recovered)
                {
                    // Junk glued before a good header (a previous body shorter than its length, a stray write):
                    // report the junk, read the frame.
                    await reject(new RejectedFrame(ErrorCodes.ParseError,
                        $"malformed header: skipped {recovered.Skipped} bytes of junk before a header", null));
                    (contentLength, headerError) = (recovered.Length, null);
                }
                if (headerError is not null)
                {
                    await reject(new RejectedFrame(ErrorCodes.ParseError, headerError, null));
                    resync = true;
                    continue;
                }
                var limit = Authenticated ? maxFrameBytes : Math.Min(maxFrameBytes, MaxUnauthenticatedFrameBytes);
                if (contentLength > limit)
                {
                    // Refused at once, unread: a length this size is a lie or an attack; what follows is skipped
                    // up to the next header.
                    await reject(new RejectedFrame(ErrorCodes.InvalidRequest,
                        $"message of {contentLength} bytes is over the limit of {limit} bytes" +
                        $"{(Authenticated ? "" : " before the token is shown")}", null));
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
        var (kind, id, method, rejection) = Classify(body);
        if (rejection is null && !Authenticated && method is not ("initialize" or "exit"))
            rejection = new RejectedFrame(ErrorCodes.ServerNotInitialized, "not authenticated: send initialize with the token first", id,
                Reply: kind == FrameKind.Request);
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
                    return new RejectedFrame(ErrorCodes.InvalidRequest,
                        $"invalid request: id {id.Value.GetRawText()} is already in use by a request in flight", id);
                return null;
            case FrameKind.Response:
                return inFlight.TryEndOutbound(ToRequestId(id!.Value))
                    ? null
                    : new RejectedFrame(ErrorCodes.InvalidRequest,
                        $"ignored a response with id {id!.Value.GetRawText()}: it answers no request of ours", id, Reply: false);
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

    /// <summary>
    /// The deepest nesting a message may have (the root object is level 1). LSP's own messages stay under ten levels; the
    /// serializer behind the gate refuses 64 by throwing, so the gate refuses far earlier and answers instead.
    /// </summary>
    public const int MaxDepth = 32;

    /// <summary>
    /// A well-formed JSON-RPC message: an object; method a string; params an object or array; id a string, number or null.
    /// </summary>
    public static RejectedFrame? Validate(byte[] body) => Classify(body).Rejection;

    /// <summary>
    /// What one message is, read in a single forward pass with no document built (the serializer behind the gate parses it next).
    /// </summary>
    private readonly record struct Classified(FrameKind Kind, JsonElement? Id, string? Method, RejectedFrame? Rejection);

    /// <summary>The top-level members the gate reads; any other member is the handler's business.</summary>
    private enum Member { None, Id, Method, Params, Result, Error }

    private static Classified Classify(byte[] body)
    {
        static Classified Reject(RejectedFrame r) => new(default, null, null, r);
        if (!System.Text.Unicode.Utf8.IsValid(body))
            return Reject(new RejectedFrame(ErrorCodes.ParseError, "parse error: the body is not valid UTF-8", null));

        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = MaxDepth });
        JsonTokenType root = JsonTokenType.None;
        JsonTokenType idType = JsonTokenType.None, methodType = JsonTokenType.None, paramsType = JsonTokenType.None,
            errorType = JsonTokenType.None;
        bool hasId = false, hasMethod = false, hasParams = false, hasResult = false, hasError = false, integerId = true;
        JsonElement? id = null;
        string? method = null;
        var pending = Member.None;
        try
        {
            while (reader.Read())
            {
                var token = reader.TokenType;
                if (root == JsonTokenType.None) root = token;
                if (token is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped
                    && HasLoneSurrogate(reader.ValueSpan))
                {
                    // Valid JSON syntax, but not text: the serializer behind the gate throws on it, so it is refused here.
                    var problem = "a string holds a lone UTF-16 surrogate escape, which is not text";
                    return Reject(id is { } known
                        ? new RejectedFrame(ErrorCodes.InvalidRequest, $"invalid request: {problem}", known)
                        : new RejectedFrame(ErrorCodes.ParseError, $"parse error: {problem}", null));
                }
                if (root != JsonTokenType.StartObject) continue;
                if (token == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
                {
                    pending = reader.ValueTextEquals("id"u8) ? Member.Id
                        : reader.ValueTextEquals("method"u8) ? Member.Method
                        : reader.ValueTextEquals("params"u8) ? Member.Params
                        : reader.ValueTextEquals("result"u8) ? Member.Result
                        : reader.ValueTextEquals("error"u8) ? Member.Error
                        : Member.None;
                    var seen = pending switch
                    {
                        Member.Id => hasId, Member.Method => hasMethod, Member.Params => hasParams, Member.Result => hasResult,
                        Member.Error => hasError,
                        _ => false,
                    };
                    // Two ids (or methods) would let the gate track one request while the serializer answers another.
                    if (seen)
                        return Reject(new RejectedFrame(ErrorCodes.InvalidRequest,
                            $"invalid request: '{reader.GetString()}' appears twice", id));
                    continue;
                }
                if (pending == Member.None) continue;
                var member = pending;
                pending = Member.None;
                switch (member)
                {
                    case Member.Id:
                        hasId = true;
                        idType = token;
                        if (token == JsonTokenType.Number) integerId = reader.TryGetInt64(out _);
                        if (token is JsonTokenType.String || token == JsonTokenType.Number && integerId)
                            id = JsonElement.Parse(
                                body.AsSpan((int)reader.TokenStartIndex, (int)(reader.BytesConsumed - reader.TokenStartIndex)));
                        break;
                    case Member.Method:
                        hasMethod = true;
                        methodType = token;
                        if (token == JsonTokenType.String) method = reader.GetString();
                        break;
                    case Member.Params: hasParams = true; paramsType = token; break;
                    case Member.Result: hasResult = true; break;
                    case Member.Error: hasError = true; errorType = token; break;
                }
            }
        }
        catch (JsonException ex)
        {
            if (reader.CurrentDepth >= MaxDepth - 1)
            {
                var problem = $"the message is nested deeper than {MaxDepth} levels";
                return Reject(id is { } known
                    ? new RejectedFrame(ErrorCodes.InvalidRequest, $"invalid request: {problem}", known)
                    : new RejectedFrame(ErrorCodes.ParseError, $"parse error: {problem}", null));
            }
            return Reject(new RejectedFrame(ErrorCodes.ParseError, $"parse error: {ex.Message}", null));
        }

        if (root == JsonTokenType.None)
            return Reject(new RejectedFrame(ErrorCodes.ParseError, "parse error: the body is empty", null));
        if (root != JsonTokenType.StartObject)
            return Reject(new RejectedFrame(ErrorCodes.InvalidRequest,
                "invalid request: a message must be a JSON object (batches are not supported)", null));
        if (hasId)
        {
            if (idType is not (JsonTokenType.String or JsonTokenType.Number or JsonTokenType.Null))
                return Reject(new RejectedFrame(ErrorCodes.InvalidRequest, "invalid request: id must be a string or a number", null));
            if (!integerId)
                return Reject(new RejectedFrame(ErrorCodes.InvalidRequest, "invalid request: a numeric id must be an integer", null));
        }
        if (hasMethod)
        {
            if (methodType != JsonTokenType.String)
                return Reject(new RejectedFrame(ErrorCodes.InvalidRequest, "invalid request: method must be a string", id));
            if (hasParams && paramsType is not (JsonTokenType.StartObject or JsonTokenType.StartArray or JsonTokenType.Null))
                return Reject(new RejectedFrame(ErrorCodes.InvalidParams,
                    $"invalid params: params of {method} must be an object or an array", id, Reply: hasId));
            if (hasId && id is null)
                return Reject(new RejectedFrame(ErrorCodes.InvalidRequest,
                    "invalid request: id must be a string or a number, not null", null));
            return new Classified(hasId ? FrameKind.Request : FrameKind.Notification, id, method, null);
        }
        if (id is not null && (hasResult || hasError && errorType == JsonTokenType.StartObject))
            return new Classified(FrameKind.Response, id, null, null); // a response to one of our requests, if Admit finds it open
        if (hasResult || hasError)
            return Reject(new RejectedFrame(ErrorCodes.InvalidRequest, "invalid response: no id", null, Reply: false));
        return Reject(new RejectedFrame(ErrorCodes.InvalidRequest, "invalid request: no method", id));
    }

    /// <summary>
    /// Whether a string's raw (escaped) JSON holds a \uXXXX escape of a surrogate that is not half of a pair. Unescaped
    /// bytes cannot hold one: the body is valid UTF-8, which has no surrogates.
    /// </summary>
    internal static bool HasLoneSurrogate(ReadOnlySpan<byte> escaped)
    {
        var expectLow = false;
        for (var i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] != (byte)'\\' || i + 1 >= escaped.Length)
            {
                if (expectLow) return true;
                continue;
            }
            if (escaped[i + 1] != (byte)'u' || i + 6 > escaped.Length)
            {
                if (expectLow) return true;
                i++; // an escape of one character: \n, \", \\ ...
                continue;
            }
            if (!System.Buffers.Text.Utf8Parser.TryParse(escaped.Slice(i + 2, 4), out ushort unit, out _, 'x'))
                return true; // not JSON: the reader would have refused it
            i += 5;
            var high = unit is >= 0xD800 and <= 0xDBFF;
            var low = unit is >= 0xDC00 and <= 0xDFFF;
            if (expectLow != low) return true; // a low half without a high one before it, or a high half not followed by one
            expectLow = high;
        }
        return expectLow;
    }

    /// <summary>
    /// The header block: "Name: value" lines, exactly one Content-Length of decimal digits. A length too large for a
    /// long is reported as one over the limit. Returns the length, or an error that names what is wrong.
    /// </summary>
    public static (long Length, string? Error) ParseHeader(string header, long maxFrameBytes)
    {
        if (header.Length == 0) return (-1, "malformed header: no header block found in the input");
        long? length = null;
        foreach (var raw in header.TrimStart('\r', '\n').Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var colon = line.IndexOf(':');
            if (colon <= 0 || line.AsSpan(0, colon).ContainsAny(" \t\0"))
                return (-1, $"malformed header: '{Printable(line)}' is not a 'Name: value' line");
            if (!line.AsSpan(0, colon).Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) continue;
            if (length is not null) return (-1, "malformed header: more than one Content-Length");
            var value = line.AsSpan(colon + 1).Trim(' ');
            if (value.Length == 0 || value.ContainsAnyExcept("0123456789"))
                return (-1, $"malformed header: Content-Length '{Printable(value.ToString())}' is not a non-negative whole number");
            length = long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture,
                out var n) ? n : long.MaxValue;
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

    /// <summary>
    /// Where the header block ends: at its first empty line, whether lines end in CRLF (the spec) or a bare LF (what some
    /// clients and hand-written tests send), so that such a frame is read, not taken for junk that swallows the next one.
    /// At is the block's length, Length the line ends after it. Null while no empty line is in the first
    /// <see cref="MaxHeaderBytes"/> bytes.
    /// </summary>
    internal static (long At, int Length)? FindHeaderEnd(ReadOnlySequence<byte> buffer)
    {
        var head = buffer.Slice(0, Math.Min(buffer.Length, MaxHeaderBytes + 4));
        var bytes = head.IsSingleSegment ? head.FirstSpan : head.ToArray();
        for (var i = bytes.IndexOf((byte)'\n'); i >= 0 && i + 1 < bytes.Length; )
        {
            var at = i > 0 && bytes[i - 1] == (byte)'\r' ? i - 1 : i; // the block ends before this line's end
            if (bytes[i + 1] == (byte)'\n') return at <= MaxHeaderBytes ? (at, i + 2 - at) : null;
            if (bytes[i + 1] == (byte)'\r' && i + 2 < bytes.Length && bytes[i + 2] == (byte)'\n')
                return at <= MaxHeaderBytes ? (at, i + 3 - at) : null;
            var next = bytes[(i + 1)..].IndexOf((byte)'\n');
            i = next < 0 ? -1 : i + 1 + next;
        }
        return null;
    }

    private static bool IsBlank(ReadOnlySequence<byte> buffer)
    {
        foreach (var segment in buffer)
            if (segment.Span.ContainsAnyExcept(" \t\r\n"u8)) return false;
        return true;
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
