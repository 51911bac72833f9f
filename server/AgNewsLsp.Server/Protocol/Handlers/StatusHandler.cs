using AgNewsLsp.Server.Wire;
namespace AgNewsLsp.Server.Protocol.Handlers;

/// <summary>agnews/status: what the engine has loaded now.</summary>
public sealed class StatusHandler : RequestHandler<StatusParams, StatusResult>
{
    public override string Method => "agnews/status";

    /// <summary>Also a workspace/executeCommand command.</summary>
    protected override bool IsCommand => true;

    protected override bool ParamsOptional => true;

    public override async Task<StatusResult> HandleAsync(StatusParams request, RequestContext context, CancellationToken cancellationToken)
    {
        var engine = await context.GetEngineAsync(cancellationToken);
        return StatusResult.From(engine.GetStatus(), context.Options.Pooling);
    }
}
