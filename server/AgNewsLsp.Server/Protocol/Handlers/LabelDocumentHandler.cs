using AgNewsLsp.IO;
using AgNewsLsp.Text;
using AgNewsLsp.Engine;
using AgNewsLsp.Server.Protocol.Documents;
using AgNewsLsp.Server.Wire;
using Range = AgNewsLsp.Server.Wire.Range;

namespace AgNewsLsp.Server.Protocol.Handlers;

/// <summary>
/// agnews/labelDocument: the whole document, and with unit "paragraph" each paragraph with its range.
/// The document is the open one, or a file: URI read from disk when it lies in a workspace folder of the session. After a paragraph
/// labelling of an open document, Information diagnostics put the labels in place (option publishDiagnostics).
/// </summary>
public sealed class LabelDocumentHandler : RequestHandler<LabelDocumentParams, LabelDocumentResult>
{
    public override string Method => "agnews/labelDocument";

    /// <summary>Also a workspace/executeCommand command.</summary>
    protected override bool IsCommand => true;

    public override async Task<LabelDocumentResult> HandleAsync(LabelDocumentParams request, RequestContext context,
        CancellationToken cancellationToken)
    {
        var perParagraph = ParamsChecked(() => ParseUnit(request.Unit)) == TextUnit.Paragraph;
        var open = context.Documents.Get(request.Uri);
        var document = open ?? await ReadFromDiskAsync(request.Uri, context, cancellationToken);
        context.CheckText(document.Text, $"document {request.Uri}");
        if (!DocumentLabeler.HasEnoughText(document.Text))
            throw ProtocolErrors.BadInput($"document {request.Uri} has no text to label");

        var engine = await context.GetEngineAsync(cancellationToken);
        var labels = await Task.Run(() => DocumentLabeler.Label(engine, document.Text,
            perParagraph ? TextUnit.Paragraph : TextUnit.Document, cancellationToken), cancellationToken);

        var labelled = perParagraph
            ? labels.Blocks.Select(b => new ParagraphLabel(document.RangeOf(b.Block.Start, b.Block.End), b.Block.Text,
                PredictionDto.From(b.Prediction))).ToList()
            : null;
        if (perParagraph && open is not null && context.Options.PublishDiagnostics)
            await context.LabelsInPlace.PublishAsync(open,
                labels.Blocks.Select(b => (open.RangeOf(b.Block.Start, b.Block.End), b.Prediction)).ToList());
        return new LabelDocumentResult(request.Uri, PredictionDto.From(labels.Document!), labelled);
    }

    /// <summary>A request's unit: "document" (the default) or "paragraph"; anything else is an <see cref="ArgumentException"/>.</summary>
    internal static TextUnit ParseUnit(string? unit) =>
        unit is null ? TextUnit.Document : TextUnitNames.Parse(unit, "unit", TextUnit.Document, TextUnit.Paragraph);

    private static async Task<TextDocument> ReadFromDiskAsync(string uriText, RequestContext context, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(uriText, UriKind.Absolute, out var uri) || !uri.IsFile)
            throw ProtocolErrors.BadInput($"document {uriText} is not open and is not a file: URI");
        var path = uri.LocalPath;
        if (!context.Workspace.Contains(path))
            throw ProtocolErrors.BadInput(
                $"document {uriText} is not open and not inside a workspace folder of this session; " +
                "open it, or declare its folder (workspaceFolders)");
        string text;
        try
        {
            text = await InputFiles.ReadTextAsync(path, context.Options.MaxTextBytes, cancellationToken);
        }
        catch (FileNotFoundException)
        {
            throw ProtocolErrors.BadInput($"file not found: {path}");
        }
        catch (InvalidDataException ex)
        {
            throw ProtocolErrors.BadInput($"document {uriText}: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw ProtocolErrors.BadInput($"cannot read {path}: {ex.Message}");
        }
        return new TextDocument(uriText, 0, text);
    }
}
