using AgNewsLsp.Engine;
using AgNewsLsp.Settings;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Server.Protocol.Handlers;

/// <summary>agnews/train: long, reports work-done progress, cancellable both ways.</summary>
public sealed class TrainHandler : RequestHandler<TrainParams, TrainResultDto>
{
    public override string Method => "agnews/train";

    /// <summary>Also a workspace/executeCommand command.</summary>
    protected override bool IsCommand => true;

    public override async Task<TrainResultDto> HandleAsync(TrainParams request, RequestContext context, CancellationToken cancellationToken)
    {
        var (headKind, pooling) = ParamsChecked(() =>
        {
            var kind = HeadKinds.Parse(request.HeadKind) ?? context.Options.HeadKind;
            TrainingSettings.Check(kind, request.MaxEpochs, request.MaxPasses, request.ValidationFraction, request.Limit);
            return (kind, request.Pooling is { } p ? Poolings.Parse(p) : context.Options.Pooling);
        });
        var trainRequest = new TrainRequest(
            context.ResolveDataPaths(request.DataPath, request.DataPaths), headKind, pooling, request.MaxEpochs, request.MaxPasses,
            request.Seed, request.ValidationFraction, request.SkipBadRows ?? false, request.Limit);

        var engine = await context.GetEngineAsync(cancellationToken); // a second run is refused by the engine (-32001)

        var result = await context.Progress.RunAsync("Training a head", request.WorkDoneToken, cancellationToken,
            (progress, token) => engine.TrainAsync(trainRequest, progress, token),
            r => $"trained: validation accuracy {r.Validation.Accuracy * 100:0.0}%");
        context.LabelsInPlace.RefreshLenses(); // the new head is in: the lenses show its labels
        return TrainResultDto.From(result);
    }
}
