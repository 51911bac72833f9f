namespace AgNewsLsp.Server.Protocol.Handlers;

/// <summary>agnews/classify: { text } or { texts } -> predictions in the same order.</summary>
public sealed class ClassifyHandler : IRequestHandler<ClassifyParams, ClassifyResult>
{
    public string Method => AgNewsMethods.Classify;

    public async Task<ClassifyResult> HandleAsync(ClassifyParams request, RequestContext context, CancellationToken cancellationToken)
    {
        string[] texts = (request.Text, request.Texts) switch
        {
            ({ } one, null) => [one],
            (null, { } many) => many,
            (null, null) => throw ProtocolErrors.InvalidParams("agnews/classify: give 'text' or 'texts'"),
            _ => throw ProtocolErrors.InvalidParams("agnews/classify: give 'text' or 'texts', not both"),
        };
        for (var i = 0; i < texts.Length; i++)
        {
            if (texts[i] is null) throw ProtocolErrors.InvalidParams($"agnews/classify: texts[{i}] is null");
            context.CheckText(texts[i], texts.Length == 1 && request.Text is not null ? "text" : $"texts[{i}]");
        }
        if (texts.Length == 0) return new ClassifyResult([]);

        var engine = await context.GetEngineAsync(cancellationToken);
        var predictions = await Task.Run(() => engine.Classify(texts, cancellationToken), cancellationToken);
        return new ClassifyResult(predictions.Select(PredictionDto.From).ToList());
    }
}
