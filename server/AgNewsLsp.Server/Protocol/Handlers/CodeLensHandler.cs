using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Server.Protocol.Handlers;

/// <summary>
/// textDocument/codeLens: a line above each paragraph of an open document with its label ("Sports 97%"), so labels
/// are seen without hovering. Unchanged paragraphs come from the engine's prediction cache, so asking again after an
/// edit encodes only what changed. Text only: the lens runs no command.
/// </summary>
public sealed class CodeLensHandler : RequestHandler<CodeLensParams, IReadOnlyList<CodeLens>>
{
    public override string Method => "textDocument/codeLens";

    public override async Task<IReadOnlyList<CodeLens>> HandleAsync(CodeLensParams request, RequestContext context, CancellationToken cancellationToken)
    {
        // Take the snapshot before the first await so later didChange notifications cannot race it.
        if (context.Documents.Get(request.TextDocument.Uri) is not { } document) return [];
        var spans = LabelsInPlace.Labelled(document, context);
        if (spans.Count == 0) return [];
        var engine = await context.GetEngineAsync(cancellationToken);
        var predictions = await Task.Run(() => engine.Classify(spans.Select(s => s.Text).ToList(), cancellationToken), cancellationToken);
        return spans.Select((span, i) => new CodeLens(
            LabelsInPlace.FirstLine(document, document.RangeOf(span.Start, span.End)),
            new LspCommand(LabelsInPlace.Title(predictions[i].Label, predictions[i].Probabilities[predictions[i].LabelIndex]), ""))).ToList();
    }
}
