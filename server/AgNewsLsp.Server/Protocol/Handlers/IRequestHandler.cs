namespace AgNewsLsp.Server.Protocol.Handlers;

/// <summary>
/// One LSP or agnews/* request. Handlers translate wire params to core calls and core results back;
/// the dispatcher owns params parsing, lifecycle checks and error mapping.
/// </summary>
public interface IRequestHandler
{
    string Method { get; }
}

public interface IRequestHandler<in TParams, TResult> : IRequestHandler where TParams : class
{
    Task<TResult> HandleAsync(TParams request, RequestContext context, CancellationToken cancellationToken);
}
