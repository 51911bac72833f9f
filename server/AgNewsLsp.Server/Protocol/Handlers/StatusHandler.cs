namespace AgNewsLsp.Server.Protocol.Handlers;

/// <summary>agnews/status: what the engine has loaded now.</summary>
public sealed class StatusHandler : IRequestHandler<StatusParams, StatusResult>
{
    public string Method => AgNewsMethods.Status;

    public async Task<StatusResult> HandleAsync(StatusParams request, RequestContext context, CancellationToken cancellationToken)
    {
        var engine = await context.GetEngineAsync(cancellationToken);
        return StatusResult.From(engine.Status);
    }
}
