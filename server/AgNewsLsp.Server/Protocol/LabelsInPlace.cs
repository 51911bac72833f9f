using AgNewsLsp.IO;
using AgNewsLsp.Engine;
using AgNewsLsp.Server.Protocol.Documents;
using AgNewsLsp.Server.Wire;
using Microsoft.Extensions.Logging;
using Range = AgNewsLsp.Server.Wire.Range;

namespace AgNewsLsp.Server.Protocol;

/// <summary>
/// Labels shown in the document itself: the CodeLens line above each paragraph and the Information diagnostics that
/// agnews/labelDocument publishes. Both read "Sports 97%" (<see cref="Title"/>). Published diagnostics follow edits:
/// a change schedules one re-labelling after a pause in typing, and the engine's prediction cache keeps the
/// unchanged paragraphs from being encoded again.
/// </summary>
public sealed class LabelsInPlace(RequestContext context)
{
    /// <summary>Quiet time after the last change before the labels are computed again.</summary>
    public static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(400);

    private readonly Dictionary<string, CancellationTokenSource> pending = new(StringComparer.Ordinal);

    /// <summary>
    /// "Sports 97%": the label and its probability, as every label in place shows it; "Business · labelled by you" for a
    /// label a person gave the paragraph.
    /// </summary>
    public static string Title(Prediction p) =>
        p.ByUser ? $"{p.Label} {Handlers.HoverHandler.LabelledByYou}" : $"{p.Label} {Math.Round(p.Probabilities[p.LabelIndex] * 100):0}%";

    /// <summary>The paragraphs of an open document that get a label: enough text, not too long, at most the limit.</summary>
    public static IReadOnlyList<TextSpan> Labelled(TextDocument document, RequestContext context) =>
        TextUnits.ParagraphsInOrder(document)
            .Where(p => DocumentLabeler.HasEnoughText(p.Text)
                && InputLimits.TextProblem(p.Text, "paragraph", context.Options.MaxTextBytes) is null)
            .Take(context.Options.MaxInlineLabels)
            .ToList();

    /// <summary>The first line of a paragraph: where its label goes (a whole-paragraph range would be noise).</summary>
    public static Range FirstLine(TextDocument document, Range paragraph) =>
        new(paragraph.Start, paragraph.Start.Line == paragraph.End.Line
            ? paragraph.End
            : new Position(paragraph.Start.Line, document.LineContentEnd(paragraph.Start.Line) - document.LineStart(paragraph.Start.Line)));

    /// <summary>Information diagnostics for labelled paragraphs, published for the document's version.</summary>
    public async Task PublishAsync(TextDocument document, IReadOnlyList<(Range Range, Prediction Prediction)> paragraphs)
    {
        var diagnostics = paragraphs.Select(p => new Diagnostic(FirstLine(document, p.Range), DiagnosticSeverity.Information, "agnews",
            Title(p.Prediction))).ToList();
        try
        {
            context.DiagnosticsPublished[document.Uri] = 0;
            await context.Client.NotifyAsync("textDocument/publishDiagnostics",
                new PublishDiagnosticsParams(document.Uri, document.Version, diagnostics));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // best effort: the labels are also in the request's result
        }
    }

    /// <summary>
    /// The lenses' labels changed (a new head, a setting): asks the client to fetch them again, when it declared
    /// refreshSupport. Not awaited: the client answers when it likes, and nothing waits on it.
    /// </summary>
    public void RefreshLenses()
    {
        if (!context.ClientRefreshesCodeLenses) return;
        _ = context.Client.RequestAsync("workspace/codeLens/refresh", null, CancellationToken.None).ContinueWith(
            t => context.Logger.LogDebug("workspace/codeLens/refresh failed: {Message}", t.Exception?.InnerException?.Message),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>The document changed: label it again once typing pauses.</summary>
    public void Changed(string uri)
    {
        var cancel = new CancellationTokenSource();
        lock (pending)
        {
            if (pending.Remove(uri, out var previous)) previous.Cancel();
            pending[uri] = cancel;
        }
        _ = RelabelAsync(uri, cancel);
    }

    /// <summary>Re-labellings scheduled and not yet done (their pause, or their labelling, still under way).</summary>
    internal int Pending
    {
        get { lock (pending) return pending.Count; }
    }

    public void Closed(string uri)
    {
        lock (pending)
            if (pending.Remove(uri, out var previous)) previous.Cancel();
    }

    private async Task RelabelAsync(string uri, CancellationTokenSource cancel)
    {
        try
        {
            await Task.Delay(Debounce, context.Time, cancel.Token);
            if (context.Documents.Get(uri) is not { } document || !context.DiagnosticsPublished.ContainsKey(uri)) return;
            var spans = Labelled(document, context);
            var engine = await context.GetEngineAsync(cancel.Token);
            var predictions = await Task.Run(() => engine.Classify(spans.Select(s => s.Text).ToList(), cancel.Token), cancel.Token);
            if (cancel.IsCancellationRequested || context.Documents.Get(uri)?.Version != document.Version) return; // typed again meanwhile
            await PublishAsync(document, spans.Select((s, i) => (document.RangeOf(s.Start, s.End), predictions[i])).ToList());
        }
        catch (OperationCanceledException) { }
        catch (Exception ex)
        {
            context.Logger.LogWarning("re-labelling {Uri} after an edit failed: {Message}", uri, ex.Message);
        }
        finally
        {
            lock (pending)
                if (pending.TryGetValue(uri, out var current) && current == cancel) pending.Remove(uri);
            cancel.Dispose();
        }
    }
}
