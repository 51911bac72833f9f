using AgNewsLsp.Engine;
using AgNewsLsp.Teaching;
using AgNewsLsp.IO;
using AgNewsLsp.Server.Protocol.Documents;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Server.Protocol.Handlers;

/// <summary>
/// agnews/suggest: the paragraphs the head is least sure of, most useful to label first (the smallest margin between
/// its two best classes; near-duplicates once; paragraphs already labelled by the user left out). From open documents
/// (uris, or every open one) and/or a file or folder on disk (its .txt and .md files).
/// </summary>
public sealed class SuggestHandler : RequestHandler<SuggestParams, SuggestResult>
{
    public const int DefaultMax = 20;

    public override string Method => "agnews/suggest";

    protected override bool IsCommand => true;

    protected override bool ParamsOptional => true;

    public override async Task<SuggestResult> HandleAsync(SuggestParams request, RequestContext context,
        CancellationToken cancellationToken)
    {
        int max = request.Max ?? DefaultMax;
        if (max < 1) throw ProtocolErrors.InvalidParams($"{Method}: max must be at least 1");
        var documents = new List<TextDocument>();
        foreach (var uri in request.Uris ?? (request.Path is null ? context.Documents.Uris : []))
            documents.Add(context.Documents.Get(uri) ?? throw ProtocolErrors.BadInput($"document {uri} is not open"));
        if (request.Path is { } path) documents.AddRange(await FromDiskAsync(context.ResolveDataPath(path), context, cancellationToken));
        var candidates = documents
            .SelectMany(d => TextUnits.Paragraphs(d).Where(p => Candidates.Labellable(p.Text, context.Options.MaxTextBytes))
                .Select(p => (Document: d, Span: p)))
            .Take(Candidates.MaxCandidates).ToList();
        if (candidates.Count == 0) return new SuggestResult([]);
        var engine = await context.GetEngineAsync(cancellationToken);
        var ranked = await Task.Run(() => engine.Teacher.Suggest(candidates.Select(c => c.Span.Text).ToList(), max, cancellationToken),
            cancellationToken);
        return new SuggestResult(ranked.Select(s =>
        {
            var (document, span) = candidates[s.Index];
            return new SuggestionDto(document.Uri, document.RangeOf(span.Start, span.End), span.Text, PredictionDto.From(s.Prediction),
                Math.Round(s.Margin, 6));
        }).ToList());
    }

    /// <summary>A file, or a folder's text files, read as documents with file: URIs.</summary>
    private static async Task<IReadOnlyList<TextDocument>> FromDiskAsync(string path, RequestContext context,
        CancellationToken cancellationToken)
    {
        var documents = new List<TextDocument>();
        foreach (var (file, _) in Candidates.Files(path, cancellationToken))
        {
            var text = await InputFiles.ReadTextAsync(file, context.Options.MaxTextBytes, cancellationToken);
            documents.Add(new TextDocument(new Uri(file).AbsoluteUri, 0, text));
            if (documents.Sum(d => (long)d.Text.Length) > 64L << 20) break; // enough candidates long before this
        }
        return documents;
    }
}
