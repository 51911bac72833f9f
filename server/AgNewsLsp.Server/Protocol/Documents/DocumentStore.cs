using System.Collections.Concurrent;

namespace AgNewsLsp.Server.Protocol.Documents;

/// <summary>
/// Open documents of one session, as snapshots; readers never see a half-applied change. Bounded: a document
/// over <c>maxChars</c> or past <c>maxDocuments</c> open ones is not kept (the caller logs why), and the memory
/// of closed large documents is handed back to the system.
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
        if (documents.TryRemove(uri, out var closed)) MemoryReclaimer.Released(closed.Text.Length);
    }

    public TextDocument? Get(string uri) => documents.TryGetValue(uri, out var d) ? d : null;

    public int Count => documents.Count;

    private void CheckSize(string uri, int chars)
    {
        if (chars > maxChars)
            throw new InvalidDataException($"not keeping {uri}: {chars} characters is over the limit of {maxChars} (maxDocumentChars)");
    }
}

/// <summary>
/// After large documents close, runs one compacting collection that returns the freed memory to the system;
/// otherwise the process keeps its peak size for as long as it lives.
/// </summary>
internal static class MemoryReclaimer
{
    /// <summary>Characters released since the last collection that make another one worth its pause.</summary>
    private const long Threshold = 4 << 20;

    private static long released;
    private static int running;

    public static void Released(long chars)
    {
        if (Interlocked.Add(ref released, chars) < Threshold || Interlocked.Exchange(ref running, 1) != 0) return;
        _ = Task.Run(async () =>
        {
            try
            {
                // Let a burst of closes finish first, then collect once.
                await Task.Delay(TimeSpan.FromMilliseconds(200));
                Interlocked.Exchange(ref released, 0);
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            }
            finally
            {
                Volatile.Write(ref running, 0);
            }
        });
    }
}
