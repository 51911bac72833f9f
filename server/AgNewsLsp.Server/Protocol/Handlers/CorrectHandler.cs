using AgNewsLsp.Engine;
using AgNewsLsp.Teaching;
using AgNewsLsp.Server.Protocol.Documents;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Server.Protocol.Handlers;

/// <summary>
/// agnews/correct: a person labels a paragraph (or a text). The label goes to the corrections file of the document's
/// workspace folder and is taught at once: the paragraph shows it ("labelled by you"), similar paragraphs follow, and
/// the labels in place are asked for again. Also a command: what the "Label as ..." code actions run.
/// </summary>
public sealed class CorrectHandler : RequestHandler<CorrectParams, CorrectResult>
{
    public const string MethodName = "agnews/correct";

    public override string Method => MethodName;

    protected override bool IsCommand => true;

    public override async Task<CorrectResult> HandleAsync(CorrectParams request, RequestContext context,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Label))
            throw ProtocolErrors.InvalidParams(
                $"{Method}: 'label' is required (a new class's name is asked for by the editor: docs/editors.md)");
        var (text, source) = TextOf(request, context);
        context.CheckText(text, "text");
        if (!DocumentLabeler.HasEnoughText(text)) throw ProtocolErrors.BadInput("the text is empty or too short to label");
        var dataset = context.DatasetFor(request.TextDocument?.Uri);
        var engine = await context.GetEngineAsync(cancellationToken);
        var taught = await Task.Run(() => ParamsChecked(() => engine.Teacher.Teach(dataset,
            new Correction(text, request.Label.Trim(), source, DateTimeOffset.UtcNow), cancellationToken)), cancellationToken);
        LabelsChanged(context);
        return Result(taught, dataset);
    }

    /// <summary>The paragraph at a position, the text in a range, or the text given; with where it stands.</summary>
    private (string Text, CorrectionSource? Source) TextOf(CorrectParams request, RequestContext context)
    {
        if (request.TextDocument is not { } id)
            return request.Text is { } given ? (given, null)
                : throw ProtocolErrors.InvalidParams($"{Method}: give 'textDocument' (with 'position' or 'range') or 'text'");
        var document = context.Documents.Get(id.Uri) ?? throw ProtocolErrors.BadInput($"document {id.Uri} is not open");
        if (request.Range is { } range)
        {
            var (start, end) = (document.OffsetAt(range.Start), document.OffsetAt(range.End));
            if (end < start) throw ProtocolErrors.InvalidParams($"{Method}: the range ends before it starts");
            return (document.Text[start..end], new CorrectionSource(id.Uri, range.Start.Line, range.End.Line));
        }
        if (request.Position is not { } position)
            throw ProtocolErrors.InvalidParams($"{Method}: 'textDocument' needs a 'position' or a 'range'");
        var span = TextUnits.At(document, position, context.Options.HoverUnit)
            ?? throw ProtocolErrors.BadInput("no paragraph at that position");
        var at = document.RangeOf(span.Start, span.End);
        return (span.Text, new CorrectionSource(id.Uri, at.Start.Line, at.End.Line));
    }

    /// <summary>The labels shown in place are stale: lenses fetched again, labels published as diagnostics recomputed.</summary>
    internal static void LabelsChanged(RequestContext context)
    {
        context.LabelsInPlace.RefreshLenses();
        foreach (var uri in context.DiagnosticsPublished.Keys) context.LabelsInPlace.Changed(uri);
    }

    internal static CorrectResult Result(TeachResult taught, string dataset) =>
        new(taught.Correction.Text, taught.Correction.Label, dataset, taught.Replaced?.Label, NewClassesOf(taught.NewClasses),
            taught.Corrections, Message(taught));

    internal static IReadOnlyList<NewClassDto> NewClassesOf(IReadOnlyList<NewClass> classes) =>
        classes.Select(c => new NewClassDto(c.Label, c.Examples, c.Weak)).ToList();

    /// <summary>What to tell the person: the label taught, and for a new class how many examples it has and that few make it
    /// weak.</summary>
    internal static string Message(TeachResult taught)
    {
        var label = taught.Correction.Label;
        var text = taught.Replaced is { } old && old.Label != label ? $"Relabelled as {label} (was {old.Label})." : $"Labelled as {label}.";
        if (taught.NewClasses.FirstOrDefault(c => c.Label == label) is { } added)
            text += added.Weak
                ? $" {label} is a new class with {added.Examples} example{(added.Examples == 1 ? "" : "s")}: few examples make it weak;" +
                  $" label more texts as {label} (about {TeachingSettings.FewExamples}) before trusting it."
                : $" {label} is a new class with {added.Examples} examples.";
        return text;
    }
}
