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

    public override async Task<Hover?> HandleAsync(TextDocumentPositionParams request, RequestContext context, CancellationToken cancellationToken)
    {
        // Take the snapshot before the first await so later didChange notifications cannot race it.
        var document = context.Documents.Get(request.TextDocument.Uri);
        if (document is null) return null;
        if (TextUnits.At(document, request.Position, context.Options.HoverUnit) is not { } span) return null;
        if (!DocumentLabeler.HasEnoughText(span.Text)) return null;
        context.CheckText(span.Text, "hovered text");

        var engine = await context.GetEngineAsync(cancellationToken);
        var prediction = (await Task.Run(() => engine.Classify([span.Text], cancellationToken), cancellationToken))[0];
        return new Hover(MarkupContent.Markdown(Format(prediction)), document.RangeOf(span.Start, span.End));
    }

    /// <summary>Bold label, then one line per class: name, a ten-cell bar, the percentage.</summary>
    public static string Format(Prediction prediction)
    {
        var sb = new StringBuilder();
        var top = prediction.LabelIndex >= 0 && prediction.LabelIndex < prediction.Probabilities.Length
            ? prediction.Probabilities[prediction.LabelIndex] : prediction.Probabilities.DefaultIfEmpty(0).Max();
        sb.Append("**").Append(Escape(prediction.Label)).Append("** ").Append(Percent(top)).Append("\n\n");
        var width = prediction.LabelNames.Count == 0 ? 0 : prediction.LabelNames.Max(n => n.Length);
        for (var i = 0; i < prediction.LabelNames.Count && i < prediction.Probabilities.Length; i++)
        {
            var p = Math.Clamp(prediction.Probabilities[i], 0f, 1f);
            var cells = (int)Math.Round(p * 10);
            sb.Append('`').Append(prediction.LabelNames[i].PadRight(width)).Append(' ')
              .Append(new string('█', cells)).Append(new string('░', 10 - cells)).Append('`')
              .Append(' ').Append(Percent(p));
            if (i + 1 < prediction.LabelNames.Count) sb.Append("  \n");
        }
        if (prediction.Truncated)
            sb.Append("\n\n*long text: ").Append(prediction.TokenCount.ToString(CultureInfo.InvariantCulture)).Append(" tokens, only the first part was read*");
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
