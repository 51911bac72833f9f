namespace AgNewsLsp.Engine;

/// <summary>
/// The last predictions of one head, by text. Labels in place are asked for every paragraph of a document after
/// each edit; with this only the paragraphs whose text changed are encoded again. Bounded by the number of texts and
/// their total length; the least recently used go first. Thread-safe.
/// </summary>
public sealed class PredictionCache(int maxEntries = 4096, long maxChars = 4L << 20)
{
    private readonly object gate = new();
    private readonly Dictionary<string, LinkedListNode<(string Text, Prediction Prediction, float[]? Vector)>> entries =
        new(StringComparer.Ordinal);
    private readonly LinkedList<(string Text, Prediction Prediction, float[]? Vector)> recency = new();
    private long chars;

    public int Count
    {
        get { lock (gate) return entries.Count; }
    }

    public bool TryGet(string text, out Prediction prediction) => TryGet(text, out prediction, out _);

    /// <summary>The head's prediction of a text and, when it was computed with it, the text's sentence vector.</summary>
    public bool TryGet(string text, out Prediction prediction, out float[]? vector)
    {
        lock (gate)
        {
            if (entries.TryGetValue(text, out var node))
            {
                recency.Remove(node);
                recency.AddFirst(node);
                prediction = node.Value.Prediction;
                vector = node.Value.Vector;
                return true;
            }
        }
        prediction = null!;
        vector = null;
        return false;
    }

    public void Add(string text, Prediction prediction, float[]? vector = null)
    {
        if (text.Length > maxChars / 16) return; // one huge text would push out everything else
        lock (gate)
        {
            if (entries.TryGetValue(text, out var existing))
            {
                recency.Remove(existing);
                chars -= existing.Value.Text.Length;
            }
            var node = recency.AddFirst((text, prediction, vector));
            entries[text] = node;
            chars += text.Length;
            while (entries.Count > maxEntries || chars > maxChars)
            {
                var last = recency.Last!;
                recency.RemoveLast();
                entries.Remove(last.Value.Text);
                chars -= last.Value.Text.Length;
            }
        }
    }
}
