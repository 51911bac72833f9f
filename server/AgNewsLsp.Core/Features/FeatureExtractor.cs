using AgNewsLsp.Native;
using AgNewsLsp.Progress;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Features;

/// <summary>Features for many texts: from the on-disk cache where present, the encoder for the rest.</summary>
public sealed class FeatureExtractor(TextEncoder encoder, string cacheDirectory)
{
    private readonly Dictionary<Pooling, FeatureCache> _caches = new();
    private readonly Lock _gate = new();

    public string CacheDirectory => cacheDirectory;

    /// <summary>Texts encoded in one call after which the heap is compacted (a collection costs well under their encoding).</summary>
    private const int CompactAfterEncoding = 5000;

    public FeatureCache CacheFor(Pooling pooling)
    {
        lock (_gate)
        {
            if (!_caches.TryGetValue(pooling, out var cache))
                _caches[pooling] = cache = new FeatureCache(cacheDirectory, encoder.Fingerprint, pooling, encoder.MaxTokens,
                    encoder.Precision, PoolingLayer.Dimension(pooling, encoder.Model.Config));
            return cache;
        }
    }

    /// <summary>Features of every text for every pooling asked for, computing only what no cache holds.</summary>
    public IReadOnlyDictionary<Pooling, float[][]> Extract(IReadOnlyList<string> texts, IReadOnlyList<Pooling> poolings,
        IProgress<WorkProgress>? progress, CancellationToken cancellationToken) =>
        Extract(texts, poolings, null, progress, cancellationToken).Features;

    /// <summary>
    /// Features as <see cref="Extract(IReadOnlyList{string}, IReadOnlyList{Pooling}, IProgress{WorkProgress}?, CancellationToken)"/>
    /// does, and every text's states after the first <paramref name="statesAfter"/> layers (what training top layers
    /// reads). A text the cache lacks gets both from one pass of the encoder; the rest run the lower layers only.
    /// </summary>
    public (IReadOnlyDictionary<Pooling, float[][]> Features, TokenStates States) ExtractWithStates(IReadOnlyList<string> texts,
        IReadOnlyList<Pooling> poolings, int statesAfter, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        var (features, states) = Extract(texts, poolings, statesAfter, progress, cancellationToken);
        return (features, states!);
    }

    private (IReadOnlyDictionary<Pooling, float[][]> Features, TokenStates? States) Extract(IReadOnlyList<string> texts,
        IReadOnlyList<Pooling> poolings, int? statesAfter, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        var result = poolings.ToDictionary(p => p, _ => new float[texts.Count][]);
        var missing = new List<int>();
        var cached = new List<int>();
        for (int i = 0; i < texts.Count; i++)
        {
            bool all = true;
            foreach (var pooling in poolings)
                if (CacheFor(pooling).TryGet(texts[i], out var f)) result[pooling][i] = f;
                else all = false;
            (all ? cached : missing).Add(i);
        }
        var states = statesAfter is null ? null : new ushort[texts.Count][];
        var lengths = new int[texts.Count];

        // Progress counts texts: those encoded first, then (when states are kept) the cached ones' shorter pass. Without
        // states, cached texts count as done from the start.
        int doneBefore = statesAfter is null ? cached.Count : 0;
        // Encode the rest in chunks so a cancelled run keeps what it computed so far.
        const int chunk = 512;
        for (int start = 0; start < missing.Count; start += chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var indexes = missing.Skip(start).Take(chunk).ToArray();
            int offset = doneBefore + start;
            var chunkProgress = progress is null ? null : new InlineProgress<WorkProgress>(p =>
                progress.Report(new WorkProgress("features", offset + p.Done, texts.Count)));
            var encoded = encoder.Encode(indexes.Select(i => texts[i]).ToArray(), poolings, chunkProgress, cancellationToken,
                priority: TorchPriority.Background, keepStatesAfter: statesAfter);
            foreach (var pooling in poolings)
            {
                var features = encoded.ByPooling[pooling];
                for (int k = 0; k < indexes.Length; k++) result[pooling][indexes[k]] = features[k];
                CacheFor(pooling).AddRange(indexes.Select((i, k) => (texts[i], features[k])));
            }
            for (int k = 0; k < indexes.Length; k++)
            {
                lengths[indexes[k]] = encoded.Lengths[k];
                if (states is not null) states[indexes[k]] = encoded.States![k];
            }
        }
        if (statesAfter is { } layers && cached.Count > 0)
        {
            var cachedProgress = progress is null ? null : new InlineProgress<WorkProgress>(p =>
                progress.Report(new WorkProgress("states", missing.Count + p.Done, texts.Count)));
            var rest = TokenStates.Encode(encoder, cached.Select(i => texts[i]).ToArray(), layers, cachedProgress, cancellationToken);
            for (int k = 0; k < cached.Count; k++)
            {
                states![cached[k]] = rest.States[k];
                lengths[cached[k]] = rest.Lengths[k];
            }
        }
        progress?.Report(new WorkProgress("features", texts.Count, texts.Count));
        // Encoding many texts leaves gigabytes of short-lived arrays behind. Collected now, once, the heap is compact
        // for what follows: otherwise the next training run pays for it in its own collections (README, Benchmarks).
        if (missing.Count >= CompactAfterEncoding) GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return (result, states is null ? null : new TokenStates { States = states, Lengths = lengths, Hidden = encoder.HiddenSize });
    }
}
