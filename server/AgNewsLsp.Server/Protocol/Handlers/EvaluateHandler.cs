using AgNewsLsp.Engine;

namespace AgNewsLsp.Server.Protocol.Handlers;

/// <summary>agnews/evaluate: long, reports work-done progress, cancellable both ways.</summary>
public sealed class EvaluateHandler : IRequestHandler<EvaluateParams, ReportDto>
{
    public string Method => AgNewsMethods.Evaluate;

    public async Task<ReportDto> HandleAsync(EvaluateParams request, RequestContext context, CancellationToken cancellationToken)
    {
        if (request.Limit is <= 0) throw ProtocolErrors.InvalidParams("agnews/evaluate: limit must be positive");
        var evaluateRequest = new EvaluateRequest(context.ResolveDataPaths(request.DataPath, request.DataPaths), request.SkipBadRows ?? false, request.Limit);
        var engine = await context.GetEngineAsync(cancellationToken);

        var report = await context.Progress.RunAsync("Evaluating the head", request.WorkDoneToken, cancellationToken,
            (progress, token) => engine.EvaluateAsync(evaluateRequest, progress, token),
            r => $"accuracy {r.Accuracy * 100:0.0}% on {r.Count} rows");
        return ReportDto.From(report);
    }
}
