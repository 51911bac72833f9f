using System.Text;
using System.Text.Json;
using AgNewsLsp.Engine;
using AgNewsLsp.Server.Hosting;
using AgNewsLsp.Server.Protocol;
using AgNewsLsp.Server.Protocol.Transport;
using Microsoft.Extensions.Logging.Abstractions;
using Nerdbank.Streams;
using AgNewsLsp.Server.Wire;
using AgNewsLsp.Server.Options;
using AgNewsLsp.Server.Runtime;

namespace AgNewsLsp.Tests.Protocol;

public class ErrorTests
{
    [Fact]
    public async Task Unknown_method_is_MethodNotFound_and_serving_goes_on()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        Assert.Equal(ErrorCodes.MethodNotFound, await LspTestClient.ErrorCodeOf(() => client.RequestAsync("agnews/frobnicate", new { })));
        await client.RequestAsync("agnews/status", new { });
    }

    [Fact]
    public async Task Wrong_param_types_are_InvalidParams_and_serving_goes_on()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        Assert.Equal(ErrorCodes.InvalidParams, await LspTestClient.ErrorCodeOf(() =>
            client.RequestAsync("agnews/classify", new { text = 5 })));
        Assert.Equal(ErrorCodes.InvalidParams, await LspTestClient.ErrorCodeOf(() =>
            client.RequestAsync("agnews/classify", new { texts = "not an array" })));
        Assert.Equal(ErrorCodes.InvalidParams, await LspTestClient.ErrorCodeOf(() =>
            client.RequestAsync("textDocument/hover", new { textDocument = 5, position = new { line = 0, character = 0 } })));
        Assert.Equal(ErrorCodes.InvalidParams, await LspTestClient.ErrorCodeOf(() =>
            client.RequestAsync("textDocument/hover", new { textDocument = new { uri = "file:///x" } })));
        Assert.Equal(ErrorCodes.InvalidParams, await LspTestClient.ErrorCodeOf(() =>
            client.RequestAsync("agnews/train", new { dataPath = "t.csv", headKind = "forest" })));
        Assert.Equal(ErrorCodes.InvalidParams, await LspTestClient.ErrorCodeOf(() =>
            client.RequestAsync("agnews/train", new { dataPath = "t.csv", maxEpochs = "many" })));
        Assert.Equal(ErrorCodes.InvalidParams, await LspTestClient.ErrorCodeOf(() => client.RequestAsync("agnews/train", new { })));
        // a notification with bad params is dropped, not fatal
        await client.NotifyAsync("textDocument/didOpen", new { textDocument = 3 });
        var result = await client.RequestAsync("agnews/classify", new { text = "a match" });
        Assert.Equal("Sports", result.GetProperty("predictions")[0].GetProperty("label").GetString());
    }

    [Theory]
    [InlineData("missing.csv", "not found")]
    [InlineData("malformed.csv", "expected 'label,text'")]
    public async Task Bad_data_is_BadInput_with_a_clear_message(string dataPath, string expected)
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        var (code, message) = await LspTestClient.ErrorOf(() => client.RequestAsync("agnews/train", new { dataPath }));
        Assert.Equal(ErrorCodes.BadInput, code);
        Assert.Contains(expected, message);
        (code, message) = await LspTestClient.ErrorOf(() => client.RequestAsync("agnews/evaluate", new { dataPath }));
        Assert.Equal(ErrorCodes.BadInput, code);
        Assert.Contains(expected, message);
    }

    public static TheoryData<Exception, int> EngineExceptions => new()
    {
        { new EngineBusyException("another run holds the lock"), ErrorCodes.Busy },
        { new ArgumentException("limit must be positive"), ErrorCodes.BadInput },
        { new FormatException("row 7: label 'x' is not a number"), ErrorCodes.BadInput },
        { new InvalidDataException("row 3: empty text"), ErrorCodes.BadInput },
        { new FileNotFoundException("model not found", "/models/x.onnx"), ErrorCodes.BadInput },
        { new NoHeadException("m"), ErrorCodes.BadInput },
        { new NullReferenceException(), ErrorCodes.InternalError },
    };

    [Theory]
    [MemberData(nameof(EngineExceptions))]
    public async Task Engine_exceptions_map_to_error_codes(Exception failure, int code)
    {
        await using var client = new LspTestClient(new FakeLabelingEngine { TrainFailure = failure });
        await client.InitializedAsync();
        var (got, message) = await LspTestClient.ErrorOf(() => client.RequestAsync("agnews/train", new { dataPath = "train.csv" }));
        Assert.Equal(code, got);
        if (code == ErrorCodes.Busy) Assert.Equal("training already running", message);
        if (code == ErrorCodes.BadInput && failure is not FileNotFoundException) Assert.Contains(failure.Message, message);
        if (failure is FileNotFoundException) Assert.Contains("/models/x.onnx", message);
        if (failure is NoHeadException)
        {
            // advice any editor's user can follow: the request to send, not a command line or one editor's menu
            Assert.Contains("agnews/train", message);
            Assert.DoesNotContain("agnews train", message);
            Assert.DoesNotContain("Train Head", message);
        }
        await client.RequestAsync("agnews/status", new { });
    }

    [Fact]
    public async Task An_unexpected_engine_failure_is_InternalError_and_serving_goes_on()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        var (code, message) = await LspTestClient.ErrorOf(() => client.RequestAsync("agnews/train", new { dataPath = "explode.csv" }));
        Assert.Equal(ErrorCodes.InternalError, code);
        Assert.Contains("boom", message);
        await client.RequestAsync("agnews/status", new { });
    }

    [Fact]
    public async Task Huge_and_binary_texts_are_BadInput()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync(initializationOptions: new { maxTextBytes = 1000 });
        var (code, message) = await LspTestClient.ErrorOf(() =>
            client.RequestAsync("agnews/classify", new { text = new string('a', 1001) }));
        Assert.Equal(ErrorCodes.BadInput, code);
        Assert.Contains("too large", message);
        (code, message) = await LspTestClient.ErrorOf(() =>
            client.RequestAsync("agnews/classify", new { texts = new[] { "fine", "bin\0ary" } }));
        Assert.Equal(ErrorCodes.BadInput, code);
        Assert.Contains("texts[1]", message);
        Assert.Contains("binary", message);
        // multi-byte characters count in UTF-8 bytes: 400 x 'é' = 800 bytes passes, 600 x 'é' = 1200 bytes does not
        await client.RequestAsync("agnews/classify", new { text = new string('é', 400) });
        Assert.Equal(ErrorCodes.BadInput, await LspTestClient.ErrorCodeOf(() =>
            client.RequestAsync("agnews/classify", new { text = new string('é', 600) })));

        await client.OpenAsync("file:///big.txt", "match " + new string('x', 2000));
        Assert.Equal(ErrorCodes.BadInput, await LspTestClient.ErrorCodeOf(() =>
            client.RequestAsync("agnews/labelDocument", new { uri = "file:///big.txt" })));
        Assert.Equal(ErrorCodes.BadInput, await LspTestClient.ErrorCodeOf(() => client.HoverAsync("file:///big.txt", 0, 0)));
        Assert.Equal(1, client.Engine.ClassifyCalls); // only the one good classify reached the engine
    }

    [Fact]
    public async Task Engine_that_fails_to_load_gives_InternalError_per_request_but_lifecycle_works()
    {
        var (serverStream, clientStream) = FullDuplexStream.CreatePair();
        var engines = new EngineProvider(_ => throw new NotImplementedException("engine arrives on main"), NullLogger.Instance);
        await using var session = new LspSession(serverStream, serverStream, engines, new ServerOptions { DataFolder = TestData.Folder },
            NullLoggerFactory.Instance);
        var served = session.RunAsync();
        await using var raw = new RawConnection(clientStream);
        await raw.SendAsync("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}""");
        Assert.True((await raw.ReadResponseAsync(1)).TryGetProperty("result", out _));
        await raw.SendAsync("""{"jsonrpc":"2.0","id":2,"method":"agnews/classify","params":{"text":"a match"}}""");
        var error = (await raw.ReadResponseAsync(2)).GetProperty("error");
        Assert.Equal(ErrorCodes.InternalError, error.GetProperty("code").GetInt32());
        Assert.Contains("engine arrives on main", error.GetProperty("message").GetString());
        await raw.SendAsync("""{"jsonrpc":"2.0","id":3,"method":"shutdown"}""");
        Assert.Equal(JsonValueKind.Null, (await raw.ReadResponseAsync(3)).GetProperty("result").ValueKind);
        await raw.SendAsync("""{"jsonrpc":"2.0","method":"exit"}""");
        Assert.Equal(0, await served.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Malformed_messages_get_error_replies_and_serving_goes_on()
    {
        var (serverStream, clientStream) = FullDuplexStream.CreatePair();
        var engines = new EngineProvider(_ => Task.FromResult<AgNewsLsp.Engine.ILabelingEngine>(new FakeLabelingEngine()),
            NullLogger.Instance);
        await using var session = new LspSession(serverStream, serverStream, engines, new ServerOptions { DataFolder = TestData.Folder },
            NullLoggerFactory.Instance);
        var served = session.RunAsync();
        await using var raw = new RawConnection(clientStream);

        await raw.SendAsync("{not json at all");
        var parse = await raw.ReadResponseAsync(null);
        Assert.Equal(ErrorCodes.ParseError, parse.GetProperty("error").GetProperty("code").GetInt32());

        await raw.SendAsync("[1,2,3]");
        Assert.Equal(ErrorCodes.InvalidRequest, (await raw.ReadResponseAsync(null)).GetProperty("error").GetProperty("code").GetInt32());

        await raw.SendAsync("""{"jsonrpc":"2.0","id":5,"method":42}""");
        Assert.Equal(ErrorCodes.InvalidRequest, (await raw.ReadResponseAsync(5)).GetProperty("error").GetProperty("code").GetInt32());

        await raw.SendAsync("""{"jsonrpc":"2.0","id":6,"method":"agnews/classify","params":"text"}""");
        Assert.Equal(ErrorCodes.InvalidParams, (await raw.ReadResponseAsync(6)).GetProperty("error").GetProperty("code").GetInt32());

        // a notification with bad params is not answered: the next reply is for the next request
        await raw.SendAsync("""{"jsonrpc":"2.0","method":"textDocument/didOpen","params":7}""");

        await raw.SendRawAsync(Encoding.ASCII.GetBytes("Content-Type: nothing\r\n\r\n"));
        Assert.Equal(ErrorCodes.ParseError, (await raw.ReadResponseAsync(null)).GetProperty("error").GetProperty("code").GetInt32());

        await raw.SendAsync("""{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"capabilities":{}}}""");
        Assert.True((await raw.ReadResponseAsync("init")).TryGetProperty("result", out _));
        await raw.SendAsync("""{"jsonrpc":"2.0","id":7,"method":"agnews/classify","params":{"text":"Stock market"}}""");
        var ok = await raw.ReadResponseAsync(7);
        Assert.Equal("Business", ok.GetProperty("result").GetProperty("predictions")[0].GetProperty("label").GetString());
        Assert.False(served.IsCompleted);
    }

    [Fact]
    public async Task Cancelled_request_over_the_wire_gets_minus_32800()
    {
        var engine = new FakeLabelingEngine { HoldTraining = new() };
        var (serverStream, clientStream) = FullDuplexStream.CreatePair();
        var engines = new EngineProvider(_ => Task.FromResult<AgNewsLsp.Engine.ILabelingEngine>(engine), NullLogger.Instance);
        await using var session = new LspSession(serverStream, serverStream, engines, new ServerOptions { DataFolder = TestData.Folder },
            NullLoggerFactory.Instance);
        _ = session.RunAsync();
        await using var raw = new RawConnection(clientStream);
        await raw.SendAsync("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}""");
        await raw.ReadResponseAsync(1);
        var started = engine.TrainingStarted.Task;
        await raw.SendAsync("""{"jsonrpc":"2.0","id":2,"method":"agnews/train","params":{"dataPath":"t.csv"}}""");
        await started.WaitAsync(TimeSpan.FromSeconds(10));
        await raw.SendAsync("""{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":2}}""");
        var error = (await raw.ReadResponseAsync(2)).GetProperty("error");
        Assert.Equal(ErrorCodes.RequestCancelled, error.GetProperty("code").GetInt32());
        Assert.True(engine.TrainCancelled);
    }
}

/// <summary>Frames raw bytes onto a stream and reads framed replies, for what a well-behaved client cannot send.</summary>
internal sealed class RawConnection(Stream stream) : IAsyncDisposable
{
    private readonly List<byte> pending = [];

    public Task SendAsync(string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        return SendRawAsync([.. Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n"), .. body]);
    }

    public async Task SendRawAsync(byte[] bytes)
    {
        await stream.WriteAsync(bytes);
        await stream.FlushAsync();
    }

    /// <summary>Next reply (not a server notification or request) whose id equals <paramref name="id"/> (null: id null).</summary>
    public async Task<JsonElement> ReadResponseAsync(object? id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var message = await ReadMessageAsync(timeout.Token);
            if (message.TryGetProperty("method", out _)) continue;
            var got = message.GetProperty("id");
            var match = id switch
            {
                null => got.ValueKind == JsonValueKind.Null,
                int n => got.ValueKind == JsonValueKind.Number && got.GetInt32() == n,
                string s => got.ValueKind == JsonValueKind.String && got.GetString() == s,
                _ => false,
            };
            if (match) return message;
        }
    }

    private async Task<JsonElement> ReadMessageAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        while (true)
        {
            var text = Encoding.ASCII.GetString(pending.ToArray());
            var headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (headerEnd >= 0)
            {
                var lengthLine = text[..headerEnd].Split("\r\n")
                    .First(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                var length = int.Parse(lengthLine["Content-Length:".Length..].Trim());
                if (pending.Count >= headerEnd + 4 + length)
                {
                    var body = pending.GetRange(headerEnd + 4, length).ToArray();
                    pending.RemoveRange(0, headerEnd + 4 + length);
                    return JsonDocument.Parse(body).RootElement.Clone();
                }
            }
            var n = await stream.ReadAsync(buffer, cancellationToken);
            if (n == 0) throw new EndOfStreamException();
            pending.AddRange(buffer.AsSpan(0, n).ToArray());
        }
    }

    public ValueTask DisposeAsync() => stream.DisposeAsync();
}
