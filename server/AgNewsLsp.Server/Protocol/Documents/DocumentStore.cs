using System.Collections.Concurrent;
using AgNewsLsp.Server.Wire;
using AgNewsLsp.Server.Runtime;

namespace AgNewsLsp.Server.Protocol.Documents;

/// <summary>
/// Open documents of one session, as snapshots; readers never see a half-applied change. Bounded: a document
/// over <c>maxChars</c> or past <c>maxDocuments</c> open ones is not kept (the caller logs why). The memory of a
/// closed document goes back to the system once the server is idle (<see cref="Runtime.IdleMemoryReclaimer"/>).
/// </summary>
public sealed class DocumentStore(int maxChars, int maxDocuments)
{
    private readonly ConcurrentDictionary<string, TextDocument> documents = new(StringComparer.Ordinal);

    /// <summary>Keeps the document; throws <see cref="InvalidDataException"/> (not kept) when it breaks a limit.</summary>
    public void Open(string uri, int version, string text)
    {
        CheckSize(uri, text.Length);
        if (!documents.ContainsKey(uri) && documents.Count >= maxDocuments)
            throw new InvalidDataException($"not keeping {uri}: {maxDocuments} documents are open already (maxOpenDocuments)");
        documents[uri] = new TextDocument(uri, version, text);
    }

    /// <summary>
    /// Applies changes; false when the document is not open (the change is dropped). A change that makes the document
    /// larger than the limit closes it and throws <see cref="InvalidDataException"/>.
    /// </summary>
    public bool Change(string uri, int? version, IReadOnlyList<TextDocumentContentChangeEvent> changes)
    {
        while (documents.TryGetValue(uri, out var current))
        {
            var next = current.Apply(changes, version ?? current.Version + 1);
            if (next.Text.Length > maxChars)
            {
                Close(uri);
                CheckSize(uri, next.Text.Length);
            }
            if (documents.TryUpdate(uri, next, current)) return true;
        }
        return false;
    }

    public void Close(string uri)
    {
        documents.TryRemove(uri, out _);
    }

    public TextDocument? Get(string uri) => documents.TryGetValue(uri, out var d) ? d : null;

    public int Count => documents.Count;

    private void CheckSize(string uri, int chars)
    {
        if (chars > maxChars)
            throw new InvalidDataException($"not keeping {uri}: {chars} characters is over the limit of {maxChars} (maxDocumentChars)");
    }
}
