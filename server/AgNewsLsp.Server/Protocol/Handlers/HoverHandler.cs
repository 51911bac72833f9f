using AgNewsLsp.Text;
using System.Globalization;
using System.Text;
using AgNewsLsp.Engine;
using AgNewsLsp.Server.Protocol.Documents;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Server.Protocol.Handlers;

/// <summary>textDocument/hover: labels the paragraph (or line) under the cursor; null for blank or tiny text.</summary>
public sealed class HoverHandler : RequestHandler<TextDocumentPositionParams, Hover?>
{
    public override string Method => "textDocument/hover";

    public override async Task<Hover?> HandleAsync(TextDocumentPositionParams request, RequestContext context,
        CancellationToken cancellationToken)
    {
        // Take the snapshot before the first await so later didChange notifications cannot race it.
        var document = context.Documents.Get(request.TextDocument.Uri);
        if (document is null) return null;
        if (TextUnits.At(document, request.Position, context.Options.HoverUnit) is not { } span) return null;
        if (!DocumentLabeler.HasEnoughText(span.Text)) return null;
        context.CheckText(span.Text, "hovered text");

        var engine = await context.GetEngineAsync(cancellationToken);
        var prediction = (await Task.Run(() => engine.Classify([span.Text], cancellationToken), cancellationToken))[0];
        var kind = context.HoverFormat;
        return new Hover(new MarkupContent(kind, Format(prediction, kind)), document.RangeOf(span.Start, span.End));
    }

    /// <summary>
    /// The MarkupKind of this client's hovers: the first of its hover.contentFormat (listed by preference) that we
    /// write; Markdown when it lists none we know, as VS Code and the clients that omit the list render it.
    /// </summary>
    public static string FormatFor(IReadOnlyList<string>? clientFormats) =>
        clientFormats?.FirstOrDefault(f => f is MarkupKind.Markdown or MarkupKind.PlainText) ?? MarkupKind.Markdown;

    /// <summary>
    /// The label and its percentage, then one line per class: name, a ten-cell bar, the percentage. In Markdown the
    /// label is bold and the bars are code, so they line up; in plain text the same lines without any markup.
    /// </summary>
    /// <summary>What a label a person gave shows instead of the head's probability.</summary>
    public const string LabelledByYou = "· labelled by you";

    public static string Format(Prediction prediction, string kind = MarkupKind.Markdown)
    {
        var markdown = kind == MarkupKind.Markdown;
        var code = markdown ? "`" : "";
        var sb = new StringBuilder();
        var top = prediction.LabelIndex >= 0 && prediction.LabelIndex < prediction.Probabilities.Length
            ? prediction.Probabilities[prediction.LabelIndex] : prediction.Probabilities.DefaultIfEmpty(0).Max();
        if (markdown) sb.Append("**").Append(Escape(prediction.Label)).Append("** ");
        else sb.Append(prediction.Label).Append(' ');
        sb.Append(prediction.ByUser ? LabelledByYou : Percent(top)).Append("\n\n");
        var width = prediction.LabelNames.Count == 0 ? 0 : prediction.LabelNames.Max(n => n.Length);
        for (var i = 0; i < prediction.LabelNames.Count && i < prediction.Probabilities.Length; i++)
        {
            var p = Math.Clamp(prediction.Probabilities[i], 0f, 1f);
            var cells = (int)Math.Round(p * 10);
            sb.Append(code).Append(prediction.LabelNames[i].PadRight(width)).Append(' ')
              .Append(new string('█', cells)).Append(new string('░', 10 - cells)).Append(code)
              .Append(' ').Append(Percent(p));
            if (i + 1 < prediction.LabelNames.Count) sb.Append(markdown ? "  \n" : "\n"); // Markdown needs two spaces to break a line
        }
        if (prediction.Truncated)
        {
            var note = $"long text: {prediction.TokenCount.ToString(CultureInfo.InvariantCulture)} tokens, only the first part was read";
            sb.Append("\n\n").Append(markdown ? $"*{note}*" : note);
        }
        return sb.ToString();
    }

    private static string Percent(float p) => (p * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Escape(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            if ("\\`*_{}[]()#+-.!|<>".Contains(c)) sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }
}
