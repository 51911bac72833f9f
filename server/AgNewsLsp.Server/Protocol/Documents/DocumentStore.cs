using System.Collections.Concurrent;

namespace AgNewsLsp.Server.Protocol.Documents;

/// <summary>Open documents of one session, as snapshots; readers never see a half-applied change.</summary>
public sealed class DocumentStore
{
    private readonly ConcurrentDictionary<string, TextDocument> documents = new(StringComparer.Ordinal);

    public void Open(string uri, int version, string text) => documents[uri] = new TextDocument(uri, version, text);

    /// <summary>Applies changes; false when the document is not open (the change is dropped).</summary>
    public bool Change(string uri, int? version, IReadOnlyList<TextDocumentContentChangeEvent> changes)
    {
        while (documents.TryGetValue(uri, out var current))
        {
            var next = current.Apply(changes, version ?? current.Version + 1);
            if (documents.TryUpdate(uri, next, current)) return true;
        }
        return false;
    }

    public void Close(string uri) => documents.TryRemove(uri, out _);

    public TextDocument? Get(string uri) => documents.TryGetValue(uri, out var d) ? d : null;

    public int Count => documents.Count;
}
