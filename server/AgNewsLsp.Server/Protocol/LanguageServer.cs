using System.Reflection;
using System.Text.Json;
using AgNewsLsp.Engine;
using AgNewsLsp.Server.Protocol.Documents;
using AgNewsLsp.Server.Protocol.Handlers;
using Microsoft.Extensions.Logging;
using StreamJsonRpc;
using AgNewsLsp.Server.Wire;
using AgNewsLsp.Server.Options;
using AgNewsLsp.Server.Runtime;

namespace AgNewsLsp.Server.Protocol;

/// <summary>
/// The RPC target of one session: LSP lifecycle, document sync, and dispatch of requests to the small
/// handler classes. Every method takes the raw params object so that params that do not fit become
/// -32602 here, not a dropped message; every failure is translated to an error code (see ErrorCodes).
/// </summary>
public sealed class LanguageServer
{
    /// <summary>How a client's user gets a head for the loaded model, in words that fit any editor.</summary>
    internal const string HeadAdvice =
        "Train one for it with agnews/train (the agnews.train command) on your labelled data, " +
        "or set headPath to a head trained for this model.";

    private enum State { Created, Running, ShutDown }

    private readonly RequestContext context;
    private readonly ServerOptions hostOptions;
    private readonly ILogger logger;
    private readonly TaskCompletionSource<int> exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource refused = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile State state = State.Created;

    public LanguageServer(RequestContext context, ServerOptions hostOptions)
    {
        this.context = context;
        this.hostOptions = hostOptions;
        context.Options = hostOptions;
        logger = context.Logger;
    }

    /// <summary>Completes with the process exit code when the client sends 'exit': 0 after shutdown, 1 otherwise.</summary>
    public Task<int> Exited => exited.Task;
    /// <summary>Completes when an initialize without the right token was refused: the connection must end.</summary>
    public Task Refused => refused.Task;
    /// <summary>
    /// Completes when the client has shown the connection's token in initialize (at once when none is required): until then
    /// the gate admits only small initialize and exit frames (docs/security.md, TCP).
    /// </summary>
    public Task Authenticated => authenticated.Task;
    private readonly TaskCompletionSource authenticated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public bool IsShutDown => state == State.ShutDown;

    public static string Version { get; } =
        typeof(LanguageServer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(LanguageServer).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    // ---- lifecycle -------------------------------------------------------------------------------------

    [JsonRpcMethod("initialize", UseSingleObjectParameterDeserialization = true)]
    public Task<object?> InitializeAsync(JsonElement? @params = null, CancellationToken cancellationToken = default) =>
        Guard("initialize", cancellationToken, allowBeforeInitialize: true, async () =>
        {
            if (state != State.Created) throw ProtocolErrors.InvalidRequest("initialize may be sent only once");
            var p = LspJson.IsAbsent(@params) ? new InitializeParams() : LspJson.ReadParams<InitializeParams>(@params, "initialize");
            if (context.RequiredToken is { } token && !ConnectionToken.Matches(token, p.InitializationOptions))
            {
                logger.LogWarning("initialize without the right token: closing the connection");
                refused.TrySetResult();
                throw ProtocolErrors.Unauthorized();
            }
            authenticated.TrySetResult();
            try
            {
                UseOptions(OptionTable.WithInitializationOptions(hostOptions, p.InitializationOptions));
            }
            catch (ArgumentException ex)
            {
                throw ProtocolErrors.InvalidParams("initializationOptions: " + ex.Message);
            }
            context.Progress.ClientSupportsCreate = p.Capabilities?.Window?.WorkDoneProgress == true;
            context.HoverFormat = HoverHandler.FormatFor(p.Capabilities?.TextDocument?.Hover?.ContentFormat);
            context.ClientRefreshesCodeLenses = p.Capabilities?.Workspace?.CodeLens?.RefreshSupport == true;
            foreach (var folder in p.WorkspaceFolders ?? [])
                context.Workspace.Add(folder.Uri);
            if (p.WorkspaceFolders is null && (p.RootUri ?? p.RootPath) is { } root)
                context.Workspace.Add(root);
            state = State.Running;
            // Start loading the model now; requests wait for it, the handshake does not.
            _ = context.GetEngineAsync(CancellationToken.None).ContinueWith(
                t => logger.LogError("{Message}", t.Exception?.InnerException?.Message),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            await Task.CompletedTask;
            return new InitializeResult(
                new ServerCapabilities(
                    HoverProvider: true,
                    TextDocumentSync: new TextDocumentSyncOptions(OpenClose: true, Change: 2),
                    ExecuteCommandProvider: new ExecuteCommandOptions(Commands),
                    CodeLensProvider: new CodeLensOptions(ResolveProvider: false)),
                new ServerInfo("agnews", Version));
        });

    [JsonRpcMethod("initialized", UseSingleObjectParameterDeserialization = true)]
    public void Initialized(JsonElement? @params = null) =>
        logger.LogInformation("client initialized; hover unit {Unit}", AgNewsLsp.Text.TextUnitNames.Name(context.Options.HoverUnit));

    [JsonRpcMethod("shutdown", UseSingleObjectParameterDeserialization = true)]
    public Task<object?> ShutdownAsync(JsonElement? @params = null, CancellationToken cancellationToken = default) =>
        Guard("shutdown", cancellationToken, allowBeforeInitialize: false, () =>
        {
            state = State.ShutDown;
            logger.LogInformation("shutdown requested");
            return Task.FromResult<object?>(null);
        });

    [JsonRpcMethod("exit", UseSingleObjectParameterDeserialization = true)]
    public void Exit(JsonElement? @params = null)
    {
        var code = state == State.ShutDown ? 0 : 1;
        logger.LogInformation("exit (code {Code})", code);
        exited.TrySetResult(code);
    }

    // ---- document sync (notifications: failures are logged, never answered) ------------------------

    [JsonRpcMethod("textDocument/didOpen", UseSingleObjectParameterDeserialization = true)]
    public void DidOpen(JsonElement? @params = null) => Notification("textDocument/didOpen", () =>
    {
        var p = LspJson.ReadParams<DidOpenTextDocumentParams>(@params, "textDocument/didOpen");
        context.Documents.Open(p.TextDocument.Uri, p.TextDocument.Version, p.TextDocument.Text);
    });

    [JsonRpcMethod("textDocument/didChange", UseSingleObjectParameterDeserialization = true)]
    public void DidChange(JsonElement? @params = null) => Notification("textDocument/didChange", () =>
    {
        var p = LspJson.ReadParams<DidChangeTextDocumentParams>(@params, "textDocument/didChange");
        if (!context.Documents.Change(p.TextDocument.Uri, p.TextDocument.Version, p.ContentChanges))
            logger.LogWarning("didChange for {Uri}, which is not open", p.TextDocument.Uri);
        else if (context.DiagnosticsPublished.ContainsKey(p.TextDocument.Uri))
            context.LabelsInPlace.Changed(p.TextDocument.Uri); // labels put in place follow the edit
    });

    [JsonRpcMethod("textDocument/didClose", UseSingleObjectParameterDeserialization = true)]
    public void DidClose(JsonElement? @params = null) => Notification("textDocument/didClose", () =>
    {
        var p = LspJson.ReadParams<DidCloseTextDocumentParams>(@params, "textDocument/didClose");
        context.Documents.Close(p.TextDocument.Uri);
        context.LabelsInPlace.Closed(p.TextDocument.Uri);
        if (context.DiagnosticsPublished.TryRemove(p.TextDocument.Uri, out _))
            _ = context.Client.NotifyAsync("textDocument/publishDiagnostics", new PublishDiagnosticsParams(p.TextDocument.Uri, null, []))
                .ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
    });

    [JsonRpcMethod("workspace/didChangeWorkspaceFolders", UseSingleObjectParameterDeserialization = true)]
    public void DidChangeWorkspaceFolders(JsonElement? @params = null) => Notification("workspace/didChangeWorkspaceFolders", () =>
    {
        var p = LspJson.ReadParams<DidChangeWorkspaceFoldersParams>(@params, "workspace/didChangeWorkspaceFolders");
        foreach (var folder in p.Event.Removed) context.Workspace.Remove(folder.Uri);
        foreach (var folder in p.Event.Added) context.Workspace.Add(folder.Uri);
    });

    /// <summary>
    /// Settings pushed the way editors push them ({ agnews: {...} } or the settings themselves): those a session may
    /// change apply at once; those that need another engine are kept, with a warning naming them.
    /// </summary>
    [JsonRpcMethod("workspace/didChangeConfiguration", UseSingleObjectParameterDeserialization = true)]
    public void DidChangeConfiguration(JsonElement? @params = null) => Notification("workspace/didChangeConfiguration", () =>
    {
        var p = LspJson.ReadParams<DidChangeConfigurationParams>(@params, "workspace/didChangeConfiguration");
        if (p.Settings is not { ValueKind: JsonValueKind.Object } settings) return; // null, or [] (Lua's {}): nothing set
        if (settings.TryGetProperty("agnews", out var ours) && ours.ValueKind == JsonValueKind.Object) settings = ours;
        var before = context.Options;
        var (after, needRestart) = OptionTable.WithChangedSettings(before, settings); // a value that does not fit: logged, nothing changes
        UseOptions(after);
        if (needRestart.Count > 0)
            logger.LogWarning("settings {Names} take effect only when the server restarts; kept as they were",
                string.Join(", ", needRestart));
        var changed = OptionTable.Changed(before, after);
        if (changed.Count > 0) logger.LogInformation("settings changed: {Names}", string.Join(", ", changed.Select(r => r.Name)));
        if (changed.Any(r => r.Spec.ChangesLabelsInPlace)) context.LabelsInPlace.RefreshLenses();
    });

    [JsonRpcMethod("window/workDoneProgress/cancel", UseSingleObjectParameterDeserialization = true)]
    public void CancelProgress(JsonElement? @params = null) => Notification("window/workDoneProgress/cancel", () =>
    {
        var p = LspJson.ReadParams<WorkDoneProgressCancelParams>(@params, "window/workDoneProgress/cancel");
        if (!context.Progress.Cancel(p.Token)) logger.LogDebug("progress cancel for unknown token {Token}", p.Token.GetRawText());
    });

    // ---- requests --------------------------------------------------------------------------------------

    /// <summary>
    /// workspace/executeCommand "agnews/&lt;name&gt;" (the method's own name) with the params object as the single argument.
    /// </summary>
    [JsonRpcMethod("workspace/executeCommand", UseSingleObjectParameterDeserialization = true)]
    public Task<object?> ExecuteCommandAsync(JsonElement? @params = null, CancellationToken cancellationToken = default) =>
        Guard("workspace/executeCommand", cancellationToken, allowBeforeInitialize: false, () =>
        {
            var p = LspJson.ReadParams<ExecuteCommandParams>(@params, "workspace/executeCommand");
            var handler = IRequestHandler.All.FirstOrDefault(h => h.Command == p.Command) ?? FormerCommand(p.Command)
                ?? throw ProtocolErrors.InvalidParams($"unknown command '{p.Command}'; known: {string.Join(", ", Commands)}");
            if (p.Arguments is { Length: > 1 })
                throw ProtocolErrors.InvalidParams($"{p.Command} takes one argument, the params object");
            // No argument, null or [] (Lua's {}) is "no params": the handler decides whether it needs some.
            JsonElement? argument = p.Arguments is [var first] && !LspJson.IsAbsent(first) ? first : null;
            if (p.WorkDoneToken is { } token && (argument ?? EmptyObject) is { ValueKind: JsonValueKind.Object } target
                && !target.TryGetProperty("workDoneToken", out _))
                argument = WithProperty(target, "workDoneToken", token);
            return handler.InvokeAsync(argument, context, cancellationToken);
        });

    /// <summary>
    /// Server commands were once spelled "agnews.status", like the VS Code client's own commands: editor
    /// configurations written then still run, with a warning naming the new id. Not advertised.
    /// </summary>
    private IRequestHandler? FormerCommand(string command)
    {
        var handler = IRequestHandler.All.FirstOrDefault(h => h.Command is { } id && id.Replace('/', '.') == command);
        if (handler is not null) logger.LogWarning("command {Old} is now {New}", command, handler.Command);
        return handler;
    }

    // ---- plumbing --------------------------------------------------------------------------------------

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>The session's options from now on, and what is derived from them.</summary>
    private void UseOptions(ServerOptions options)
    {
        context.Options = options;
        context.Progress.ThrottleMs = options.ProgressThrottleMs;
    }

    /// <summary>The workspace/executeCommand names, as initialize advertises them.</summary>
    public static IReadOnlyList<string> Commands { get; } = IRequestHandler.All.Select(h => h.Command).OfType<string>().ToArray();

    /// <summary>Runs a request handler (the session registers one such method per handler).</summary>
    internal Task<object?> DispatchAsync(IRequestHandler handler, JsonElement? @params, CancellationToken cancellationToken) =>
        Guard(handler.Method, cancellationToken, allowBeforeInitialize: false,
            () => handler.InvokeAsync(@params, context, cancellationToken));

    /// <summary>Lifecycle checks, then the work, then the translation of whatever it threw into an error code.</summary>
    private async Task<object?> Guard(string method, CancellationToken cancellationToken, bool allowBeforeInitialize,
        Func<Task<object?>> work)
    {
        if (state == State.ShutDown) throw ProtocolErrors.ShutDown();
        if (state == State.Created && !allowBeforeInitialize) throw ProtocolErrors.NotInitialized();
        Interlocked.Increment(ref inFlight);
        try
        {
            return await work();
        }
        catch (Exception ex)
        {
            throw Translate(method, ex, cancellationToken);
        }
        finally
        {
            if (Interlocked.Decrement(ref inFlight) == 0) idle.Set();
        }
    }

    private int inFlight;
    private readonly AsyncAutoResetSignal idle = new();

    /// <summary>
    /// Waits (at most <paramref name="timeout"/>) until no request runs. The session calls it after the connection
    /// closed and in-flight requests were cancelled, so that the engine is not disposed under a training run.
    /// </summary>
    /// <remarks>Internal: every public method of the RPC target would be callable by the client.</remarks>
    internal async Task<bool> WhenIdleAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Volatile.Read(ref inFlight) > 0)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) return false;
            await idle.WaitAsync(left < TimeSpan.FromMilliseconds(50) ? left : TimeSpan.FromMilliseconds(50));
        }
        return true;
    }

    private sealed class AsyncAutoResetSignal
    {
        private TaskCompletionSource tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public void Set() => Interlocked.Exchange(ref tcs, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        public Task WaitAsync(TimeSpan timeout) =>
            Volatile.Read(ref tcs).Task.WaitAsync(timeout).ContinueWith(static _ => { }, TaskScheduler.Default);
    }

    private Exception Translate(string method, Exception ex, CancellationToken cancellationToken)
    {
        while (ex is AggregateException { InnerExceptions.Count: 1 } agg) ex = agg.InnerException!;
        switch (ex)
        {
            case LocalRpcException:
                return ex;
            case OperationCanceledException when cancellationToken.IsCancellationRequested:
                return ProtocolErrors.Cancelled();
            case EngineBusyException:
                return ProtocolErrors.Busy();
            case NoHeadException:
                // The user's next step, not a server fault: no stack trace, and advice any editor's user can follow.
                return ProtocolErrors.BadInput($"{ex.Message} {HeadAdvice}");
            case FileNotFoundException f:
                return ProtocolErrors.BadInput($"file not found: {f.FileName ?? f.Message}");
            case AgNewsLsp.Data.DataFormatException:
                return ProtocolErrors.BadInput(ex.Message);
            case DirectoryNotFoundException:
                return ProtocolErrors.BadInput($"folder not found: {ex.Message}");
            case ArgumentException or FormatException or InvalidDataException or IOException or UnauthorizedAccessException
                or JsonException:
                return ProtocolErrors.BadInput(ex.Message);
            default:
                logger.LogError(ex, "{Method} failed", method);
                return ProtocolErrors.Internal($"{method} failed: {ex.Message}");
        }
    }

    private void Notification(string method, Action work)
    {
        if (state != State.Running) return; // LSP: notifications before initialize are dropped
        try { work(); }
        catch (Exception ex) { logger.LogWarning("{Method} ignored: {Message}", method, ex.Message); }
    }

    private static JsonElement WithProperty(JsonElement obj, string name, JsonElement value)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            foreach (var property in obj.EnumerateObject()) property.WriteTo(writer);
            writer.WritePropertyName(name);
            value.WriteTo(writer);
            writer.WriteEndObject();
        }
        return JsonDocument.Parse(stream.ToArray()).RootElement.Clone();
    }
}
