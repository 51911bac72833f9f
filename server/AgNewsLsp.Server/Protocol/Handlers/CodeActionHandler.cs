using AgNewsLsp.Engine;
using AgNewsLsp.Server.Protocol.Documents;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Server.Protocol.Handlers;

/// <summary>
/// textDocument/codeAction: on a paragraph, "Label as X" for each class (the head's and any taught since), then
/// "Label as a new class...", then "Undo the last label". Each runs a server command (agnews/correct,
/// agnews/undoCorrection), so any editor that runs code actions can teach. The new-class action carries no label: the
/// editor asks for the name (VS Code does; docs/editors.md shows how in Neovim and Emacs) and sends it.
/// </summary>
public sealed class CodeActionHandler : RequestHandler<CodeActionParams, IReadOnlyList<CodeAction>>
{
    /// <summary>The kind of the actions: quick fixes, the kind editors list first and show on a light bulb.</summary>
    public const string Kind = "quickfix";
    public const string NewClassTitle = "Label as a new class...";

    public override string Method => "textDocument/codeAction";

    public override async Task<IReadOnlyList<CodeAction>> HandleAsync(CodeActionParams request, RequestContext context,
        CancellationToken cancellationToken)
    {
        if (context.Documents.Get(request.TextDocument.Uri) is not { } document) return [];
        if (TextUnits.At(document, request.Range.Start, context.Options.HoverUnit) is not { } span
            || !DocumentLabeler.HasEnoughText(span.Text)) return [];
        var at = document.RangeOf(span.Start, span.End).Start;
        var engine = await context.GetEngineAsync(cancellationToken);
        var prediction = (await Task.Run(() => engine.Classify([span.Text], cancellationToken), cancellationToken))[0];
        LspCommand Correct(string title, string? label) =>
            new(title, CorrectHandler.MethodName, [new CorrectParams(label, request.TextDocument, at)]);
        // The head's guess first, then the others by probability: the likeliest fixes lead the menu.
        var order = prediction.LabelNames.Select((name, i) => (name, p: prediction.Probabilities[i])).OrderByDescending(x => x.p)
            .Select(x => x.name);
        var actions = order.Select(label => new CodeAction(
                label == prediction.Label && prediction.ByUser ? $"Labelled as {label} (by you)" : $"Label as {label}", Kind,
                Correct($"Label as {label}", label)))
            .ToList();
        actions.Add(new CodeAction(NewClassTitle, Kind, Correct(NewClassTitle, null)));
        actions.Add(new CodeAction("Undo the last label", Kind, new LspCommand("Undo the last label", "agnews/undoCorrection",
            [new UndoCorrectionParams(request.TextDocument)])));
        return actions;
    }
}
