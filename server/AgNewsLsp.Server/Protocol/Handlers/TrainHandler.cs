using AgNewsLsp.Engine;

namespace AgNewsLsp.Server.Protocol.Handlers;

/// <summary>agnews/train: long, reports work-done progress, cancellable both ways.</summary>
public sealed class TrainHandler : IRequestHandler<TrainParams, TrainResultDto>
{
    public string Method => AgNewsMethods.Train;

    public async Task<TrainResultDto> HandleAsync(TrainParams request, RequestContext context, CancellationToken cancellationToken)
    {
        HeadKind? head;
        try
        {
            head = HeadKinds.Parse(request.Head);
        }
        catch (ArgumentException e)
        {
            throw ProtocolErrors.InvalidParams("agnews/train: " + e.Message);
        }
        if (request.MaxEpochs is <= 0) throw ProtocolErrors.InvalidParams("agnews/train: maxEpochs must be positive");
        if (request.Limit is <= 0) throw ProtocolErrors.InvalidParams("agnews/train: limit must be positive");
        if (request.ValidationFraction is <= 0 or >= 1) throw ProtocolErrors.InvalidParams("agnews/train: validationFraction must be between 0 and 1 (exclusive)");
        var trainRequest = new TrainRequest(
            context.ResolveDataPaths(request.DataPath, request.DataPaths), head, request.Pooling, request.MaxEpochs, request.Seed,
            request.ValidationFraction, request.SkipBadRows ?? false, request.Limit);

        var engine = await context.GetEngineAsync(cancellationToken); // a second run is refused by the engine (-32001)

        var result = await context.Progress.RunAsync("Training a head", request.WorkDoneToken, cancellationToken,
            (progress, token) => engine.TrainAsync(trainRequest, progress, token),
            r => $"trained: validation accuracy {r.Validation.Accuracy * 100:0.0}%");
        return TrainResultDto.From(result);
    }
}
