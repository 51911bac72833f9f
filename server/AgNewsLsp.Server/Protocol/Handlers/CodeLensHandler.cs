using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Server.Protocol.Handlers;

/// <summary>
/// textDocument/codeLens: a line above each paragraph of an open document with its label ("Sports 97%"), so labels
/// are seen without hovering. Unchanged paragraphs come from the engine's prediction cache, so asking again after an
/// edit encodes only what changed. Running a lens runs agnews/classify at its line (the hover's unit there): an
/// advertised command, since editors such as Neovim refuse to run, and then clear, a lens whose command the server
/// does not list in executeCommandProvider.
/// </summary>
public sealed class CodeLensHandler : RequestHandler<CodeLensParams, IReadOnlyList<CodeLens>>
{
    public override string Method => "textDocument/codeLens";

    public override async Task<IReadOnlyList<CodeLens>> HandleAsync(CodeLensParams request, RequestContext context,
        CancellationToken cancellationToken)
    {
        // Take the snapshot before the first await so later didChange notifications cannot race it.
        if (context.Documents.Get(request.TextDocument.Uri) is not { } document) return [];
        var spans = LabelsInPlace.Labelled(document, context);
        if (spans.Count == 0) return [];
        var engine = await context.GetEngineAsync(cancellationToken);
        var predictions = await Task.Run(() => engine.Classify(spans.Select(s => s.Text).ToList(), cancellationToken), cancellationToken);
        return spans.Select((span, i) =>
        {
            var line = LabelsInPlace.FirstLine(document, document.RangeOf(span.Start, span.End));
            var title = LabelsInPlace.Title(predictions[i]);
            return new CodeLens(line, new LspCommand(title, ClassifyHandler.MethodName,
                [new ClassifyParams(TextDocument: request.TextDocument, Position: line.Start)]));
        }).ToList();
    }
}
