using System.Collections.Concurrent;
using AgNewsLsp.Server.Wire;
using AgNewsLsp.Server.Runtime;

namespace AgNewsLsp.Server.Protocol.Documents;

/// <summary>
/// Open documents of one session, as snapshots; readers never see a half-applied change. Bounded: a document
/// over <c>maxChars</c>, past <c>maxDocuments</c> open ones, or one that would take all open documents past
/// <c>maxTotalChars</c> is not kept (the caller logs why): without the total, 1,000 documents of 32 Mi characters
/// would be 64 GB. The memory of a closed document goes back to the system once the server is idle
/// (<see cref="Runtime.IdleMemoryReclaimer"/>).
/// </summary>
public sealed class DocumentStore(int maxChars, int maxDocuments, long maxTotalChars = long.MaxValue)
{
    private readonly ConcurrentDictionary<string, TextDocument> documents = new(StringComparer.Ordinal);
    private readonly Lock gate = new(); // the total and the map change together
    private long totalChars;

    /// <summary>Keeps the document; throws <see cref="InvalidDataException"/> (not kept) when it breaks a limit.</summary>
    public void Open(string uri, int version, string text)
    {
        CheckSize(uri, text.Length);
        var document = new TextDocument(uri, version, text);
        lock (gate)
        {
            var replaced = documents.TryGetValue(uri, out var old) ? old.Text.Length : -1;
            if (replaced < 0 && documents.Count >= maxDocuments)
                throw new InvalidDataException($"not keeping {uri}: {maxDocuments} documents are open already (maxOpenDocuments)");
            CheckTotal(uri, text.Length - Math.Max(0, replaced));
            documents[uri] = document;
            totalChars += text.Length - Math.Max(0, replaced);
        }
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
            lock (gate)
            {
                if (!documents.TryGetValue(uri, out var now) || now != current) continue; // changed meanwhile: apply again
                var growth = next.Text.Length - current.Text.Length;
                if (totalChars + growth > maxTotalChars)
                {
                    documents.TryRemove(uri, out _);
                    totalChars -= current.Text.Length;
                    CheckTotal(uri, next.Text.Length);
                }
                documents[uri] = next;
                totalChars += growth;
                return true;
            }
        }
        return false;
    }

    public void Close(string uri)
    {
        lock (gate)
            if (documents.TryRemove(uri, out var closed)) totalChars -= closed.Text.Length;
    }

    /// <summary>The characters all open documents hold together.</summary>
    public long TotalChars
    {
        get { lock (gate) return totalChars; }
    }

    private void CheckTotal(string uri, long adding)
    {
        if (totalChars + adding > maxTotalChars)
            throw new InvalidDataException(
                $"not keeping {uri}: open documents would hold {totalChars + adding} characters, " +
                $"over the session's limit of {maxTotalChars} (maxSessionChars)");
    }

    public TextDocument? Get(string uri) => documents.TryGetValue(uri, out var d) ? d : null;

    public int Count => documents.Count;

    /// <summary>The URIs of the open documents, in ordinal order.</summary>
    public IReadOnlyList<string> Uris => documents.Keys.Order(StringComparer.Ordinal).ToList();

    private void CheckSize(string uri, int chars)
    {
        if (chars > maxChars)
            throw new InvalidDataException($"not keeping {uri}: {chars} characters is over the limit of {maxChars} (maxDocumentChars)");
    }
}
