using AgNewsLsp.Text;
using AgNewsLsp.Server.Protocol.Documents;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Server.Protocol.Handlers;

/// <summary>agnews/classify: { text } or { texts } -> predictions in the same order.</summary>
public sealed class ClassifyHandler : RequestHandler<ClassifyParams, ClassifyResult>
{
    public const string MethodName = "agnews/classify";

    public override string Method => MethodName;

    /// <summary>Also a workspace/executeCommand command (and what a CodeLens runs).</summary>
    protected override bool IsCommand => true;

    public override async Task<ClassifyResult> HandleAsync(ClassifyParams request, RequestContext context,
        CancellationToken cancellationToken)
    {
        string[] texts = (request.Text, request.Texts, request.TextDocument) switch
        {
            ({ } one, null, null) => [one],
            (null, { } many, null) => many,
            (null, null, { } doc) => UnitAt(doc, request.Position, context),
            (null, null, null) =>
                throw ProtocolErrors.InvalidParams("agnews/classify: give 'text', 'texts' or 'textDocument' with 'position'"),
            _ => throw ProtocolErrors.InvalidParams("agnews/classify: give one of 'text', 'texts', 'textDocument'"),
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

    /// <summary>The unit a hover at the position would label (the same rule); none for blank or tiny text.</summary>
    private static string[] UnitAt(TextDocumentIdentifier document, Position? position, RequestContext context)
    {
        if (position is null) throw ProtocolErrors.InvalidParams("agnews/classify: 'textDocument' needs a 'position'");
        var open = context.Documents.Get(document.Uri) ?? throw ProtocolErrors.BadInput($"document {document.Uri} is not open");
        return TextUnits.At(open, position, context.Options.HoverUnit) is { } span
            && AgNewsLsp.Engine.DocumentLabeler.HasEnoughText(span.Text) ? [span.Text] : [];
    }
}
