using AgNewsLsp.Engine;

namespace AgNewsLsp.Server.Protocol.Handlers;

/// <summary>agnews/evaluate: long, reports work-done progress, cancellable both ways.</summary>
public sealed class EvaluateHandler : IRequestHandler<EvaluateParams, ReportDto>
{
    public string Method => AgNewsMethods.Evaluate;

    public async Task<ReportDto> HandleAsync(EvaluateParams request, RequestContext context, CancellationToken cancellationToken)
    {
        if (request.Limit is <= 0) throw ProtocolErrors.InvalidParams("agnews/evaluate: limit must be positive");
        var evaluateRequest = new EvaluateRequest(context.ResolveDataPath(request.DataPath), request.SkipBadRows ?? false, request.Limit);
        var engine = await context.GetEngineAsync(cancellationToken);

        await using var progress = await context.Progress.BeginAsync("Evaluating AG News head", request.WorkDoneToken, cancellationToken);
        try
        {
            var report = await Task.Run(() => engine.EvaluateAsync(evaluateRequest, progress, progress.Token), progress.Token);
            await progress.EndAsync($"accuracy {report.Accuracy * 100:0.0}% on {report.Count} rows");
            return ReportDto.From(report);
        }
        catch (Exception ex)
        {
            await progress.EndAsync(ex is OperationCanceledException ? "cancelled" : "failed: " + ex.Message);
            if (ex is OperationCanceledException && progress.Token.IsCancellationRequested) throw ProtocolErrors.Cancelled();
            throw;
        }
    }
}
