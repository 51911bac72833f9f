using System.IO.Pipelines;
using System.Text.Json;
using AgNewsLsp.Server.Protocol.Handlers;
using AgNewsLsp.Server.Protocol.Documents;
using Microsoft.Extensions.Logging;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;
using AgNewsLsp.Server.Wire;
using AgNewsLsp.Server.Options;
using AgNewsLsp.Server.Runtime;

namespace AgNewsLsp.Server.Protocol.Transport;

/// <summary>
/// One client connection: Content-Length framing over a pair of streams, StreamJsonRpc with System.Text.Json
/// (camelCase), the <see cref="LanguageServer"/> target and a <see cref="FrameGate"/> in front of it.
/// Ends when the client sends 'exit' or the streams close; in-flight requests are cancelled then.
/// </summary>
public sealed class LspSession : IClientChannel, IAsyncDisposable
{
    private readonly JsonRpc rpc;
    private readonly InFlightIds.TrackingHandler handler;
    private readonly FrameGate gate;
    private readonly CancellationTokenSource stop = new();
    private readonly ILogger logger;
    private Task gateTask = Task.CompletedTask;
    /// <summary>How long a connection that must show a token may take to; null when none is required.</summary>
    private readonly TimeSpan? authTimeout;

    public LspSession(Stream input, Stream output, EngineProvider engines, ServerOptions options, ILoggerFactory loggerFactory,
        string name = "stdio", string? requiredToken = null, TimeProvider? time = null)
    {
        var hostLogger = loggerFactory.CreateLogger("agnews." + name);
        logger = new ClientLogger(hostLogger, this, options.LogLevel);

        var inbound = new Pipe();
        var formatter = new SystemTextJsonFormatter { JsonSerializerOptions = WireJson.Create() };
        var ids = new InFlightIds();
        handler = new InFlightIds.TrackingHandler(ids, PipeWriter.Create(output), inbound.Reader, formatter);
        gate = new FrameGate(PipeReader.Create(input), inbound.Writer, RejectAsync, options.MaxFrameBytes, ids,
            requiredToken is null ? null : () => Server!.Authenticated.IsCompleted);
        authTimeout = requiredToken is null ? null : TimeSpan.FromMilliseconds(options.AuthTimeoutMs);
        rpc = new JsonRpc(handler)
        {
            CancelLocallyInvokedMethodsWhenConnectionIsClosed = true,
        };
        // LSP's $/cancelRequest { id } is StreamJsonRpc's default cancellation strategy (StandardCancellationStrategy).
        var progress = new WorkDoneProgressRegistry(this, logger);
        var context = new RequestContext(engines,
            new DocumentStore(options.MaxDocumentChars, options.MaxOpenDocuments, options.MaxSessionChars), progress, this, logger)
        {
            RequiredToken = requiredToken,
            Time = time ?? TimeProvider.System,
        };
        Context = context;
        Server = new LanguageServer(context, options);
        rpc.AddLocalRpcTarget(Server, new JsonRpcTargetOptions { DisposeOnDisconnect = false, AllowNonPublicInvocation = false });
        foreach (var handler in IRequestHandler.All)
            rpc.AddLocalRpcMethod(Endpoint.Invoke, new Endpoint(Server, handler),
                new JsonRpcMethodAttribute(handler.Method) { UseSingleObjectParameterDeserialization = true });
        rpc.Disconnected += (_, e) =>
        {
            if (e.Reason is not (DisconnectedReason.RemotePartyTerminated or DisconnectedReason.LocallyDisposed))
                hostLogger.LogWarning("{Name}: connection ended: {Reason} {Description}", name, e.Reason, e.Description);
            else
                hostLogger.LogInformation("{Name}: connection closed", name);
        };
    }

    public LanguageServer Server { get; }

    /// <summary>The session's state, for tests that look inside it.</summary>
    internal RequestContext Context { get; }

    public ILogger Logger => logger;

    private void Start()
    {
        rpc.StartListening();
        gateTask = Task.Run(() => gate.RunAsync(stop.Token));
    }

    /// <summary>
    /// Starts reading and serves until 'exit' (its code: 0 after shutdown, 1 without), until the client goes away (0)
    /// or until <paramref name="cancellationToken"/> fires (0). Call once; then dispose.
    /// </summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken = default)
    {
        Start();
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = cancellationToken.Register(() => tcs.TrySetResult());
        var tooLate = authTimeout is { } timeout ? NotAuthenticatedWithinAsync(timeout) : Task.Delay(Timeout.Infinite, stop.Token);
        var finished = await Task.WhenAny(Server.Exited, rpc.Completion, tcs.Task, Server.Refused, tooLate);
        if (finished == tooLate && tooLate.IsCompletedSuccessfully)
        {
            logger.LogWarning("closing the connection: no initialize with the token within {Ms} ms", authTimeout!.Value.TotalMilliseconds);
            return 1;
        }
        if (finished == Server.Refused)
        {
            // Let the error reply reach the client before the connection closes.
            await Task.WhenAny(rpc.Completion, Task.Delay(TimeSpan.FromMilliseconds(200)));
            return 1;
        }
        var code = finished == Server.Exited ? await Server.Exited : 0;
        if (finished != Server.Exited && !Server.IsShutDown)
            logger.LogInformation("client went away without shutdown");
        return code;
    }

    /// <summary>Completes when <paramref name="timeout"/> passes before the token is shown; never otherwise.</summary>
    private async Task NotAuthenticatedWithinAsync(TimeSpan timeout)
    {
        if (await Task.WhenAny(Server.Authenticated, Task.Delay(timeout, stop.Token)) == Server.Authenticated
            || stop.IsCancellationRequested)
            await Task.Delay(Timeout.Infinite, stop.Token);
    }

    private int disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        stop.Cancel();
        rpc.Dispose(); // cancels in-flight requests (CancelLocallyInvokedMethodsWhenConnectionIsClosed)
        try { await rpc.Completion; } catch { /* disconnected with an error: already logged */ }
        // Let cancelled work (a training run) unwind before the host disposes the engine.
        if (!await Server.WhenIdleAsync(TimeSpan.FromSeconds(30)))
            logger.LogWarning("requests still running 30 s after the session ended");
        // Do not wait for the reader: a blocked read of stdin does not observe cancellation, and the client may keep
        // the pipe open after 'exit' (editors wait a moment, then kill the server). The process may end under it.
        _ = gateTask.ContinueWith(_ => stop.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    // ---- IClientChannel ------------------------------------------------------------------------------

    public Task NotifyAsync(string method, object? args) =>
        rpc.IsDisposed ? Task.CompletedTask : rpc.NotifyWithParameterObjectAsync(method, args);

    public Task<JsonElement> RequestAsync(string method, object? args, CancellationToken cancellationToken) =>
        rpc.InvokeWithParameterObjectAsync<JsonElement>(method, args, cancellationToken);

    // ---- rejected frames -----------------------------------------------------------------------------

    private async Task RejectAsync(RejectedFrame frame)
    {
        logger.LogWarning("rejected message: {Message}", frame.Message);
        if (!frame.Reply) return;
        RequestId id = frame.Id is { } element ? FrameGate.ToRequestId(element) : RequestId.Null;
        var error = new JsonRpcError
        {
            RequestId = id,
            Error = new JsonRpcError.ErrorDetail { Code = (JsonRpcErrorCode)frame.Code, Message = frame.Message },
        };
        try
        {
            await handler.WriteAsync(error, CancellationToken.None);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    /// <summary>Logs to the host's loggers (stderr) and to the client as window/logMessage.</summary>
    private sealed class ClientLogger(ILogger inner, LspSession session, LogLevel minimum) : ILogger
    {
        [ThreadStatic] private static bool sending;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            inner.Log(logLevel, eventId, state, exception, formatter);
            if (sending) return;
            var type = logLevel switch
            {
                >= LogLevel.Error => MessageType.Error,
                LogLevel.Warning => MessageType.Warning,
                LogLevel.Information => MessageType.Info,
                _ => MessageType.Log,
            };
            var message = formatter(state, exception) + (exception is null ? "" : $": {exception.Message}");
            try
            {
                sending = true;
                _ = session.NotifyAsync("window/logMessage", new LogMessageParams(type, message)).ContinueWith(
                    static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            }
            catch { /* the client is gone */ }
            finally { sending = false; }
        }
    }

    /// <summary>The RPC method of one request handler: StreamJsonRpc calls it with the params as one element.</summary>
    private sealed class Endpoint(LanguageServer server, IRequestHandler handler)
    {
        public static readonly System.Reflection.MethodInfo Invoke = typeof(Endpoint).GetMethod(nameof(InvokeAsync))!;

        public Task<object?> InvokeAsync(JsonElement? @params = null, CancellationToken cancellationToken = default) =>
            server.DispatchAsync(handler, @params, cancellationToken);
    }
}
