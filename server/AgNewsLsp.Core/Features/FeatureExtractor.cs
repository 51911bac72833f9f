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
        IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        var result = poolings.ToDictionary(p => p, _ => new float[texts.Count][]);
        var missing = new List<int>();
        for (int i = 0; i < texts.Count; i++)
        {
            bool all = true;
            foreach (var pooling in poolings)
                if (CacheFor(pooling).TryGet(texts[i], out var f)) result[pooling][i] = f;
                else all = false;
            if (!all) missing.Add(i);
        }

        // Encode the rest in chunks so a cancelled run keeps what it computed so far.
        const int chunk = 512;
        for (int start = 0; start < missing.Count; start += chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var indexes = missing.Skip(start).Take(chunk).ToArray();
            int offset = texts.Count - missing.Count + start;
            var chunkProgress = progress is null ? null : new InlineProgress<WorkProgress>(p =>
                progress.Report(new WorkProgress("features", offset + p.Done, texts.Count)));
            var encoded = encoder.Encode(indexes.Select(i => texts[i]).ToArray(), poolings, chunkProgress, cancellationToken,
                priority: TorchPriority.Background);
            foreach (var pooling in poolings)
            {
                var features = encoded.ByPooling[pooling];
                for (int k = 0; k < indexes.Length; k++) result[pooling][indexes[k]] = features[k];
                CacheFor(pooling).AddRange(indexes.Select((i, k) => (texts[i], features[k])));
            }
        }
        progress?.Report(new WorkProgress("features", texts.Count, texts.Count));
        // Encoding many texts leaves gigabytes of short-lived arrays behind. Collected now, once, the heap is compact
        // for what follows: otherwise the next training run pays for it in its own collections (README, Benchmarks).
        if (missing.Count >= CompactAfterEncoding) GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return result;
    }

}
