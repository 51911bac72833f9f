using AgNewsLsp.Settings;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Server.Protocol.Handlers;

/// <summary>agnews/embed: { texts, pooling? } -> the frozen encoder's vectors, in input order (no head needed).</summary>
public sealed class EmbedHandler : RequestHandler<EmbedParams, EmbedResult>
{
    /// <summary>Texts per request: bounds the reply (bert-base with cls-last4 has 3,072 floats per text).</summary>
    public const int MaxTexts = 512;

    public override string Method => "agnews/embed";

    public override async Task<EmbedResult> HandleAsync(EmbedParams request, RequestContext context, CancellationToken cancellationToken)
    {
        var texts = request.Texts ?? throw ProtocolErrors.InvalidParams($"{Method}: 'texts' is required");
        if (texts.Length > MaxTexts)
            throw ProtocolErrors.BadInput($"{Method}: {texts.Length} texts; the limit is {MaxTexts} per request (send them in batches)");
        for (var i = 0; i < texts.Length; i++)
        {
            if (texts[i] is null) throw ProtocolErrors.InvalidParams($"{Method}: texts[{i}] is null");
            context.CheckText(texts[i], $"texts[{i}]");
        }
        var pooling = ParamsChecked(() => request.Pooling is { } p ? Poolings.Parse(p) : context.Options.Pooling);

        var engine = await context.GetEngineAsync(cancellationToken);
        var embedded = await Task.Run(() => engine.Embed(texts, pooling, null, cancellationToken), cancellationToken);
        return new EmbedResult(embedded.ModelName, embedded.ModelFingerprint, embedded.Pooling, embedded.Dimension, embedded.Vectors);
    }
}
