using System.Text.Json;

namespace AgNewsLsp.Server.Protocol.Handlers;

/// <summary>
/// One LSP or agnews/* request. Handlers translate wire params to core calls and core results back;
/// the dispatcher owns lifecycle checks and error mapping. A handler is declared once, by being a class that
/// derives from <see cref="RequestHandler{TParams, TResult}"/>: <see cref="All"/> finds it, the session registers
/// its method, and a handler with a <see cref="Command"/> is also advertised to workspace/executeCommand.
/// </summary>
public interface IRequestHandler
{
    /// <summary>The JSON-RPC method ("agnews/train").</summary>
    string Method { get; }

    /// <summary>
    /// The workspace/executeCommand id that runs it too, null when none: the method itself ("agnews/train"), so a
    /// server command cannot be mistaken for a VS Code client command (those are "agnews.trainHead" and the like).
    /// </summary>
    string? Command { get; }

    /// <summary>Reads the params (absent, null or [] read as {} when they are all optional) and handles the request.</summary>
    Task<object?> InvokeAsync(JsonElement? @params, RequestContext context, CancellationToken cancellationToken);

    /// <summary>Every handler of this server, in a stable order.</summary>
    public static IReadOnlyList<IRequestHandler> All { get; } = typeof(IRequestHandler).Assembly.GetTypes()
        .Where(t => t is { IsAbstract: false, IsClass: true } && typeof(IRequestHandler).IsAssignableFrom(t))
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .Select(t => (IRequestHandler)Activator.CreateInstance(t)!)
        .ToArray();
}

public abstract class RequestHandler<TParams, TResult> : IRequestHandler where TParams : class
{
    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    public abstract string Method { get; }

    /// <summary>Also a workspace/executeCommand command, by the method's name.</summary>
    protected virtual bool IsCommand => false;

    public string? Command => IsCommand ? Method : null;

    /// <summary>True when the request may come without params (every field optional).</summary>
    protected virtual bool ParamsOptional => false;

    public abstract Task<TResult> HandleAsync(TParams request, RequestContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Reads values out of the params: an <see cref="ArgumentException"/> (a value out of its range, a name no setting
    /// spells) is the client's mistake, -32602 naming this method. Every handler's params checks go through here.
    /// </summary>
    protected T ParamsChecked<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (ArgumentException e)
        {
            throw ProtocolErrors.InvalidParams($"{Method}: {e.Message}");
        }
    }

    async Task<object?> IRequestHandler.InvokeAsync(JsonElement? @params, RequestContext context, CancellationToken cancellationToken) =>
        await HandleAsync(LspJson.ReadParams<TParams>(ParamsOptional && LspJson.IsAbsent(@params) ? EmptyObject : @params, Method),
            context, cancellationToken);
}
