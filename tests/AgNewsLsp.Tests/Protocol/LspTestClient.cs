using System.Collections.Concurrent;
using System.Text.Json;
using AgNewsLsp.Server.Hosting;
using AgNewsLsp.Server.Protocol;
using AgNewsLsp.Server.Protocol.Transport;
using Microsoft.Extensions.Logging.Abstractions;
using Nerdbank.Streams;
using StreamJsonRpc;
using AgNewsLsp.Server.Wire;
using AgNewsLsp.Server.Options;
using AgNewsLsp.Server.Runtime;

namespace AgNewsLsp.Tests.Protocol;

/// <summary>A server session and a JSON-RPC client over an in-memory duplex stream pair.</summary>
public sealed class LspTestClient : IAsyncDisposable
{
    public FakeLabelingEngine Engine { get; }
    public LspSession Session { get; }
    public JsonRpc Rpc { get; }
    public ClientTarget Target { get; } = new();
    public Task<int> Served { get; }
    private readonly Stream clientStream;

    public LspTestClient(FakeLabelingEngine? engine = null, ServerOptions? options = null, TimeProvider? time = null)
    {
        Engine = engine ?? new FakeLabelingEngine();
        var (serverStream, clientSide) = FullDuplexStream.CreatePair();
        clientStream = clientSide;
        var engines = new EngineProvider(_ => Task.FromResult<AgNewsLsp.Engine.ILabelingEngine>(Engine), NullLogger.Instance);
        Session = new LspSession(serverStream, serverStream, engines, options ?? new ServerOptions { DataFolder = TestData.Folder },
            NullLoggerFactory.Instance, "test", time: time);
        Served = Session.RunAsync();
        var formatter = new SystemTextJsonFormatter { JsonSerializerOptions = WireJson.Create() };
        Rpc = new JsonRpc(new HeaderDelimitedMessageHandler(clientSide, clientSide, formatter));
        Rpc.AddLocalRpcTarget(Target, new JsonRpcTargetOptions { UseSingleObjectParameterDeserialization = true });
        Rpc.StartListening();
    }

    public Task<JsonElement> InitializeAsync(bool workDoneProgress = false, object? initializationOptions = null,
        string[]? workspaceFolders = null) =>
        RequestAsync("initialize", new
        {
            processId = (int?)null,
            capabilities = new { window = new { workDoneProgress } },
            initializationOptions,
            workspaceFolders = workspaceFolders?.Select(f => new { uri = new Uri(f).AbsoluteUri, name = Path.GetFileName(f) }).ToArray(),
        });

    public async Task<JsonElement> InitializedAsync(bool workDoneProgress = false, object? initializationOptions = null,
        string[]? workspaceFolders = null)
    {
        var result = await InitializeAsync(workDoneProgress, initializationOptions, workspaceFolders);
        await NotifyAsync("initialized", new { });
        return result;
    }

    public Task<JsonElement> RequestAsync(string method, object? args, CancellationToken cancellationToken = default) =>
        Rpc.InvokeWithParameterObjectAsync<JsonElement>(method, args, cancellationToken);

    public Task NotifyAsync(string method, object? args) => Rpc.NotifyWithParameterObjectAsync(method, args);

    public Task OpenAsync(string uri, string text, int version = 1) =>
        NotifyAsync("textDocument/didOpen", new { textDocument = new { uri, languageId = "plaintext", version, text } });

    public Task<JsonElement> HoverAsync(string uri, int line, int character) =>
        RequestAsync("textDocument/hover", new { textDocument = new { uri }, position = new { line, character } });

    /// <summary>Closes the client side of the pipe, as a client process that dies would.</summary>
    public void Vanish()
    {
        Rpc.Dispose();
        clientStream.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        Rpc.Dispose();
        clientStream.Dispose();
        await Session.DisposeAsync();
    }

    public static async Task<int> ErrorCodeOf(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (RemoteInvocationException ex) { return ex.ErrorCode; }
        catch (RemoteRpcException ex) { return Convert.ToInt32((object?)ex.ErrorCode); }
        throw new Xunit.Sdk.XunitException("expected an error response");
    }

    public static async Task<(int Code, string Message)> ErrorOf(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (RemoteInvocationException ex) { return (ex.ErrorCode, ex.Message); }
        // StreamJsonRpc's own client reads -32003 (our BadInput) as its ResponseSerializationFailure: same code on the wire.
        catch (RemoteRpcException ex) { return (Convert.ToInt32((object?)ex.ErrorCode), ex.Message); }
        throw new Xunit.Sdk.XunitException("expected an error response");
    }
}

/// <summary>What the server sends to the client: progress, log messages, diagnostics, create requests.</summary>
public sealed class ClientTarget
{
    public ConcurrentQueue<(string Token, JsonElement Value)> Progress { get; } = new();
    public ConcurrentQueue<JsonElement> LogMessages { get; } = new();
    public ConcurrentQueue<JsonElement> Diagnostics { get; } = new();
    public ConcurrentQueue<string> CreatedTokens { get; } = new();
    private readonly List<Action<string, JsonElement>> progressListeners = [];

    [JsonRpcMethod("$/progress")]
    public void OnProgress(JsonElement p)
    {
        var token = p.GetProperty("token").ToString();
        var value = p.GetProperty("value").Clone();
        Action<string, JsonElement>[] listeners;
        lock (progressListeners)
        {
            Progress.Enqueue((token, value));
            listeners = [.. progressListeners];
        }
        foreach (var listener in listeners) listener(token, value);
    }

    [JsonRpcMethod("window/logMessage")]
    public void OnLogMessage(JsonElement p) => LogMessages.Enqueue(p.Clone());

    [JsonRpcMethod("textDocument/publishDiagnostics")]
    public void OnDiagnostics(JsonElement p) => Diagnostics.Enqueue(p.Clone());

    /// <summary>How many workspace/codeLens/refresh requests the server sent.</summary>
    public int CodeLensRefreshes => Volatile.Read(ref codeLensRefreshes);
    private int codeLensRefreshes;

    [JsonRpcMethod("workspace/codeLens/refresh")]
    public object? OnCodeLensRefresh()
    {
        Interlocked.Increment(ref codeLensRefreshes);
        return null;
    }

    [JsonRpcMethod("window/workDoneProgress/create")]
    public object? OnCreate(JsonElement p)
    {
        CreatedTokens.Enqueue(p.GetProperty("token").ToString());
        return null;
    }

    /// <summary>Completes when a progress value of <paramref name="kind"/> arrives for any token.</summary>
    public Task<(string Token, JsonElement Value)> WaitForProgressAsync(string kind)
    {
        var tcs = new TaskCompletionSource<(string, JsonElement)>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(string t, JsonElement v)
        {
            if (v.GetProperty("kind").GetString() == kind) tcs.TrySetResult((t, v));
        }
        lock (progressListeners)
        {
            progressListeners.Add(Handler);
            foreach (var (t, v) in Progress) Handler(t, v);
        }
        return tcs.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }
}

/// <summary>Data files the fake engine recognises by name; relative dataPath values resolve here.</summary>
public static class TestData
{
    public static string Folder { get; } = Create();

    private static string Create()
    {
        var folder = Path.Combine(Path.GetTempPath(), "agnews-protocol-tests-" + Environment.ProcessId);
        Directory.CreateDirectory(folder);
        foreach (var name in new[] { "train.csv", "test.csv", "t.csv", "malformed.csv", "explode.csv" })
            File.WriteAllText(Path.Combine(folder, name), "label,text\n2,A match report\n");
        return folder;
    }
}
