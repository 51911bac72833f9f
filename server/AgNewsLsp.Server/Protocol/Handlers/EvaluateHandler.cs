using AgNewsLsp.Engine;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Server.Protocol.Handlers;

/// <summary>agnews/evaluate: long, reports work-done progress, cancellable both ways.</summary>
public sealed class EvaluateHandler : RequestHandler<EvaluateParams, ReportDto>
{
    public override string Method => "agnews/evaluate";

    /// <summary>Also a workspace/executeCommand command.</summary>
    protected override bool IsCommand => true;

    public override async Task<ReportDto> HandleAsync(EvaluateParams request, RequestContext context, CancellationToken cancellationToken)
    {
        ParamsChecked(() => { AgNewsLsp.Settings.TrainingSettings.CheckLimit(request.Limit); return true; });
        var evaluateRequest = new EvaluateRequest(context.ResolveDataPaths(request.DataPath, request.DataPaths),
            request.SkipBadRows ?? false, request.Limit);
        var engine = await context.GetEngineAsync(cancellationToken);

        var report = await context.Progress.RunAsync("Evaluating the head", request.WorkDoneToken, cancellationToken,
            (progress, token) => engine.EvaluateAsync(evaluateRequest, progress, token),
            r => $"accuracy {r.Accuracy * 100:0.0}% on {r.Count} rows");
        return ReportDto.From(report);
    }
}
