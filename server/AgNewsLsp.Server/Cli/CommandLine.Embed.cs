using AgNewsLsp.IO;
using AgNewsLsp.Features;
using AgNewsLsp.Data;
using AgNewsLsp.Engine;
using AgNewsLsp.Progress;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Server.Cli;

/// <summary>agnews embed: the frozen encoder's vectors for a file of texts, written for other tools (search, clustering,
/// classifiers).</summary>
public sealed partial class CommandLine
{
    /// <summary>Texts per engine call: the output is written a chunk at a time, so memory does not grow with the input.</summary>
    private const int EmbedChunk = EmbeddingWriter.ChunkRows;

    private async Task<int> EmbedAsync(CommandInput a, CancellationToken ct)
    {
        if (a.Positionals.Count != 1)
            throw new UsageException("embed needs one input file: a text file (a text per line) or labelled data.");
        var output = a.Value("out") ?? throw new UsageException("embed needs --out FILE.npy or --out FILE.parquet.");
        if (!EmbeddingWriter.IsSupported(output)) throw new UsageException($"--out must end in .npy or .parquet, not '{output}'.");
        OutputPath.Resolve(output); // a folder or block device is refused before the model loads
        var shard = ShardOption(a);
        var input = a.Positionals[0];
        var (rows, inputFiles) = ReadTexts(input, a.Flag("lines"), new DataReadOptions(a.Flag("skip-bad-rows"), a.Int("limit", 1)));
        if (rows.Count == 0) throw new InvalidDataException($"{input} holds no texts to embed.");
        // A shard keeps the rows whose id falls in it; the ids are those of the whole input (after --limit), so every
        // shard reads the same rows and numbers them alike. A shard may be left with none: it still writes its part.
        if (shard is { Shard: var part }) rows = rows.Where(r => part.Contains(Shard.RowKey(r.Id))).ToList();

        await using var display = ProgressDisplay.For(a, stderr, bars: true);
        using var engine = await OpenEngineAsync(a, ct, display: display);
        var progress = display.Progress;
        var full = Path.GetFullPath(output);
        bool npy = full.EndsWith(".npy", StringComparison.OrdinalIgnoreCase);
        Pooling? pooling = null;
        var poolingAsked = PoolingOption(a);
        int dimension = 0;
        (long Bytes, string Sha256)? idsDigest = null;
        // The ids table is renamed into place just before the vectors: both or neither change (a shard's manifest goes
        // in between, so that it never describes vectors that are not there).
        AtomicFile.Write(full, data =>
        {
            using var dataDigest = new DigestStream(data);
            if (npy)
                AtomicFile.Write(EmbeddingWriter.IdsPathFor(full), ids =>
                {
                    using var digest = new DigestStream(ids);
                    Write(dataDigest, digest);
                    idsDigest = digest.Digest();
                });
            else Write(dataDigest, null);
            if (shard is { } s)
                WriteEmbedManifest(engine, s.Shard, s.Source, full, npy, pooling!.Value, dimension, rows.Count, dataDigest.Digest(),
                    idsDigest, inputFiles, a.Flag("lines"), a.Int("limit", 1), a.Flag("skip-bad-rows"), ct);
        });
        await display.DoneAsync();

        void Write(Stream data, Stream? ids)
        {
            EmbeddingWriter? writer = null;
            try
            {
                if (rows.Count == 0)
                {
                    var none = engine.Embed([], poolingAsked, null, ct); // no vectors, but their pooling and length
                    (pooling, dimension) = (none.Pooling, none.Dimension);
                    writer = EmbeddingWriter.Create(full, data, ids, 0, dimension);
                }
                for (int start = 0; start < rows.Count; start += EmbedChunk)
                {
                    var chunk = rows.Skip(start).Take(EmbedChunk).ToArray();
                    var chunkProgress = progress is null ? null : new InlineProgress<WorkProgress>(p =>
                        progress.Report(new WorkProgress("embedding", start + p.Done, rows.Count)));
                    var embedded = engine.Embed(chunk.Select(r => r.Text).ToArray(), poolingAsked, chunkProgress, ct);
                    writer ??= EmbeddingWriter.Create(full, data, ids, rows.Count, embedded.Dimension);
                    (pooling, dimension) = (embedded.Pooling, embedded.Dimension);
                    writer.Add(chunk.Select((r, i) => new EmbeddingRow(r.Id, r.Label, embedded.Vectors[i])).ToArray());
                }
            }
            finally
            {
                writer?.Dispose();
            }
        }

        if (a.Flag("json"))
            WriteJson(new { output = full, ids = npy ? EmbeddingWriter.IdsPathFor(full) : null, rows = rows.Count, dimension, pooling,
                model = engine.ResolvedModel.Name, fingerprint = engine.Describe().Fingerprint, shard = shard?.Shard.ToString(),
                manifest = shard is null ? null : ShardManifest.PathFor(full) });
        else
            stdout.WriteLine($"Wrote {rows.Count} vectors{(shard is { } s ? $" of shard {s.Shard}" : "")} of {dimension} floats " +
                $"({pooling?.Name()} pooling, " + $"model {engine.ResolvedModel.Name}) to {full}" +
                (npy ? $"; row ids and labels in {EmbeddingWriter.IdsPathFor(full)}" : ""));
        return Ok;
    }

    private sealed record TextRow(long Id, string? Label, string Text);

    /// <summary>
    /// A .txt file (or any file with --lines): each non-blank line is a text, its id the line number. Anything else is
    /// labelled data (AG News CSV, CSV/JSONL with text and label, parquet): its id is the row number from 0, with the label.
    /// </summary>
    private static (List<TextRow> Rows, IReadOnlyList<string> Files) ReadTexts(string input, bool lines, DataReadOptions options)
    {
        if (lines || (File.Exists(input) && Path.GetExtension(input).ToLowerInvariant() is ".txt" or ".text"))
        {
            if (!File.Exists(input)) throw new FileNotFoundException($"File not found: {input}", input);
            var texts = new List<TextRow>();
            long number = 0;
            foreach (var line in File.ReadLines(input))
            {
                number++;
                if (line.Contains('\0'))
                    throw new InvalidDataException($"{input}:{number}: the file looks binary (it holds NUL characters).");
                if (string.IsNullOrWhiteSpace(line)) continue;
                texts.Add(new TextRow(number, null, line));
                if (options.Limit is int limit && texts.Count >= limit) break;
            }
            return (texts, [input]);
        }
        var data = LabeledDataReader.ReadSplit(input, "train", options);
        return (data.Rows.Select((r, i) => new TextRow(i, data.LabelNames[r.Label], r.Text)).ToList(), data.Files);
    }
}
