using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgNewsLsp.Features;
using AgNewsLsp.IO;
using Parquet;
using Parquet.Serialization;

namespace AgNewsLsp.Engine;

/// <summary>What a merge wrote.</summary>
/// <param name="Keys">Files (label) or vectors (embed) in the merged output.</param>
/// <param name="Skipped">Files the shards skipped, summed from their manifests.</param>
public sealed record MergeSummary(string Output, ShardJob Job, int Shards, IReadOnlyList<string> Parts, long Rows, long Keys, int Skipped,
    TimeSpan Elapsed);

/// <summary>
/// Joins the outputs of a job's shards into the one file an unsharded run writes: for <c>label</c>, CSV (one header) or
/// JSONL rows in the order a run writes them (by the file's path relative to the folder, ordinally, which is
/// <see cref="FolderFiles"/>' walk order; a file's paragraph rows stay after its document row); for <c>embed</c>, parquet
/// or npy vectors by ascending id (the input's order), their row column numbered afresh. Rows are copied as they are, so
/// the merged file is byte for byte what one run writes (each text is labelled alone: <see cref="FolderLabeler"/>).
/// </summary>
/// <remarks>
/// Before anything is written the parts must: each have a manifest (<see cref="ShardManifest"/>) whose length and SHA-256
/// match the part; come from the same job (model, precision, head, classes, selection of files or rows, format); and be
/// every shard of it exactly once. While merging, every row must belong to its part's shard and come in the order a run
/// writes, and no file may come from two parts. Any of these fails naming the part, and the output is written atomically,
/// so a refused merge leaves no file (or the old one). Memory holds one row per part (a row group for parquet).
/// </remarks>
public static class ShardMerge
{
    public static async Task<MergeSummary> MergeAsync(IReadOnlyList<string> partPaths, string outputPath,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        if (partPaths.Count == 0) throw new ArgumentException("a merge needs the parts to merge");
        var output = Path.GetFullPath(outputPath);
        var parts = new List<Part>();
        foreach (var path in partPaths)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var full = Path.GetFullPath(path);
            if (full == output || (InputFiles.RealPath(full) is { } real && real == InputFiles.RealPath(output)))
                throw new ArgumentException($"the output {outputPath} is one of the parts; merge into another file");
            InputFiles.EnsureRegularFile(full);
            parts.Add(new Part(path, full, ShardManifest.ReadFor(full)));
        }
        var first = parts[0];
        foreach (var part in parts.Skip(1))
        {
            if (part.Manifest.Count != first.Manifest.Count)
                throw new InvalidDataException($"{part.Name} is shard {part.Shard} but {first.Name} is shard {first.Shard}: " +
                                               "the parts of one merge come from runs with the same number of shards.");
            if (first.Manifest.Job.Differences(part.Manifest.Job) is { Count: > 0 } differences)
                throw new InvalidDataException($"{part.Name} and {first.Name} were made by {WhatDiffers(differences)}: " +
                                               $"{string.Join(", ", differences)}. Merge only the parts of one job.");
        }
        var shards = new Part?[first.Manifest.Count];
        foreach (var part in parts)
        {
            if (shards[part.Manifest.Index] is { } twice)
                throw new InvalidDataException($"{twice.Name} and {part.Name} are both shard {part.Shard}: give each shard once.");
            shards[part.Manifest.Index] = part;
        }
        var missing = Enumerable.Range(0, shards.Length).Where(i => shards[i] is null).Select(i => $"{i}/{shards.Length}").ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"shard{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Take(10))}" +
                                           $"{(missing.Count > 10 ? $" and {missing.Count - 10} more" : "")} of the job " +
                                           $"{(missing.Count > 1 ? "are" : "is")} missing: run {(missing.Count > 1 ? "them" : "it")} " +
                                           "(--shard I/N) and merge every part.");
        var job = first.Manifest.Job;
        CheckOutputName(outputPath, job.Format);
        foreach (var part in parts) await part.CheckDigestAsync(cancellationToken);

        var ordered = shards.Select(p => p!).ToList();
        long rows = 0, keys = 0;
        switch (job.Format)
        {
            case "csv" or "jsonl" when job.Command == "label":
                await AtomicFile.WriteAsync(output, async (stream, ct) =>
                    (rows, keys) = await MergeRowsAsync(ordered, job.Format == "csv", stream, ct), cancellationToken);
                break;
            case "parquet" or "npy" when job.Command == "embed":
                (rows, keys) = await MergeEmbeddingsAsync(ordered, output, job.Format == "npy", cancellationToken);
                break;
            default:
                throw new InvalidDataException($"{first.Name}: a {job.Command} part in {job.Format} cannot be merged.");
        }
        return new MergeSummary(output, job, ordered.Count, ordered.Select(p => p.Full).ToList(), rows, keys,
            ordered.Sum(p => p.Manifest.Skipped), clock.Elapsed);
    }

    /// <summary>"a different model", "a different head", ... for the first thing that differs that a person would name.</summary>
    private static string WhatDiffers(IReadOnlyList<string> differences)
    {
        bool Has(string field) => differences.Any(d => d.StartsWith(field + " (", StringComparison.Ordinal));
        return Has("modelFingerprint") || Has("modelName") ? "different models"
            : Has("headSha256") || Has("labelNames") ? "different heads"
            : Has("precision") ? "encoders in different precisions (pin --precision on every shard)"
            : Has("threads") ? "different thread counts, which move the last digits (pin --threads on every shard)"
            : Has("command") || Has("format") ? "different commands or formats"
            : "different settings";
    }

    /// <summary>An output whose extension names a format must name the parts' format: merged.csv does not take JSONL rows.</summary>
    private static void CheckOutputName(string output, string format)
    {
        var extension = Path.GetExtension(output).TrimStart('.').ToLowerInvariant();
        string[] known = ["csv", "jsonl", "parquet", "npy"];
        if (known.Contains(extension) && extension != format)
            throw new ArgumentException($"the parts are {format}, but the output {output} names {extension}");
        if (format == "npy" && extension != "npy")
            throw new ArgumentException(
                $"the parts are npy; the merged output must end in .npy (its ids table goes beside it), not {output}");
    }

    private sealed class Part(string name, string full, ShardManifest manifest)
    {
        public string Name { get; } = name;
        public string Full { get; } = full;
        public ShardManifest Manifest { get; } = manifest;
        public Shard Shard => Manifest.Shard;

        public async Task CheckDigestAsync(CancellationToken cancellationToken)
        {
            await Check(Full, Manifest.Bytes, Manifest.Sha256);
            if (Manifest.Job.Format == "npy")
                await Check(EmbeddingWriter.IdsPathFor(Full), Manifest.IdsBytes ?? -1, Manifest.IdsSha256 ?? "");

            async Task Check(string path, long bytes, string sha256)
            {
                var (actualBytes, actualSha) = File.Exists(path) ? await DigestStream.OfFileAsync(path, cancellationToken) : (-1L, "");
                if (actualBytes != bytes || actualSha != sha256)
                    throw new InvalidDataException($"{(path == Full ? Name : path)} does not match its manifest " +
                        $"({Path.GetFileName(ShardManifest.PathFor(Full))}: it was changed since, or its run stopped " +
                        $"between writing the two): run shard {Shard} again.");
            }
        }

        /// <summary>The refusal for a row whose key is not this shard's, or comes out of order.</summary>
        public void CheckKey(string key, string? previous, Func<string, string, int> compare, string what)
        {
            if (Shard.Of(key, Shard.Count) is var owner && owner != Shard.Index)
                throw new InvalidDataException($"{Name} holds {what} {Quote(key)}, which is shard {owner}/{Shard.Count}'s, not {Shard}: " +
                                               "it was not written by this shard's run.");
            if (previous is not null && compare(key, previous) < 0)
                throw new InvalidDataException(
                    $"{Name} is not in the order a run writes: {what} {Quote(key)} comes after {Quote(previous)}.");
        }

        public void CheckCounts(long rows, long keys)
        {
            if (rows != Manifest.Rows || keys != Manifest.Keys)
                throw new InvalidDataException(
                    $"{Name} holds {rows} rows of {keys} {(Manifest.Job.Command == "label" ? "files" : "ids")}, " +
                                               $"but its manifest says {Manifest.Rows} of {Manifest.Keys}: run shard {Shard} again.");
        }
    }

    private static string Quote(string key) => JsonSerializer.Serialize(key);

    // ---- label: CSV and JSONL rows ----

    /// <summary>One part's rows, read a record at a time, with the key (the file's relative path) of the current one.</summary>
    private sealed class RowCursor(Part part, TextReader reader, bool csv) : IDisposable
    {
        public Part Part { get; } = part;
        public string Key { get; private set; } = "";
        public string Record { get; private set; } = "";
        public long Rows, Keys;
        private long line;

        /// <summary>The CSV header, read before the first row.</summary>
        public string ReadHeader() => CsvRecord(reader)
            ?? throw new InvalidDataException($"{Part.Name} is empty: a CSV part has a header.");

        public bool Next()
        {
            var previous = Rows > 0 ? Key : null;
            string? record;
            if (csv) record = CsvRecord(reader);
            else
            {
                record = reader.ReadLine();
                line++;
            }
            if (record is null) return false;
            var key = csv ? CsvKey(FirstCsvField(record), Part.Shard) : JsonlKey(record);
            Part.CheckKey(key, previous, string.CompareOrdinal, "a row for");
            if (key != previous) Keys++;
            Rows++;
            (Key, Record) = (key, record);
            return true;
        }

        private string JsonlKey(string record)
        {
            try
            {
                using var row = JsonDocument.Parse(record);
                if (row.RootElement.ValueKind == JsonValueKind.Object && row.RootElement.TryGetProperty("file", out var file) &&
                    file.ValueKind == JsonValueKind.String)
                    return file.GetString()!;
            }
            catch (JsonException)
            {
            }
            throw new InvalidDataException($"{Part.Name}:{line}: not a row of agnews label (a JSON object with a \"file\").");
        }

        /// <summary>One CSV record (RFC 4180: CRLF ends it outside quotes) as written, without its CRLF; null at the end.</summary>
        private string? CsvRecord(TextReader text)
        {
            var record = new StringBuilder();
            bool quoted = false;
            int c;
            while ((c = text.Read()) >= 0)
            {
                if (c == '"') quoted = !quoted; // a doubled quote toggles twice
                else if (c == '\r' && !quoted && text.Peek() == '\n')
                {
                    text.Read();
                    return record.ToString();
                }
                record.Append((char)c);
            }
            if (record.Length > 0)
                throw new InvalidDataException(
                    $"{Part.Name} ends inside a record (no CRLF after it): it is not a whole part of agnews label.");
            return null;
        }

        public void Dispose() => reader.Dispose();
    }

    /// <summary>The first field of a CSV record, unquoted.</summary>
    private static string FirstCsvField(string record)
    {
        if (!record.StartsWith('"')) return record.IndexOf(',') is var comma and >= 0 ? record[..comma] : record;
        var field = new StringBuilder();
        for (var i = 1; i < record.Length; i++)
        {
            if (record[i] != '"') field.Append(record[i]);
            else if (i + 1 < record.Length && record[i + 1] == '"') field.Append(record[++i]);
            else break;
        }
        return field.ToString();
    }

    /// <summary>
    /// The path a CSV file cell stands for. The writer puts a ' before a name that a spreadsheet would run as a formula
    /// (<see cref="FolderCsvWriter.Text"/>), so "'=x.txt" is the file "=x.txt", unless a file is really named "'=x.txt".
    /// Of the two readings the one in the part's shard is the file (a path decides its shard); when both are, the
    /// escaped reading, by far the likelier name.
    /// </summary>
    internal static string CsvKey(string field, Shard shard)
    {
        if (field.Length < 2 || field[0] != '\'' || field[1] is not ('=' or '+' or '-' or '@' or '\t' or '\r')) return field;
        var unescaped = field[1..];
        return shard.Contains(unescaped) || !shard.Contains(field) ? unescaped : field;
    }

    private static async Task<(long Rows, long Keys)> MergeRowsAsync(IReadOnlyList<Part> parts, bool csv, Stream stream,
        CancellationToken ct)
    {
        var cursors = new List<RowCursor>();
        try
        {
            string? header = null;
            foreach (var part in parts)
            {
                var cursor = new RowCursor(part, new StreamReader(part.Full, new UTF8Encoding(false), false, 1 << 16), csv);
                cursors.Add(cursor);
                if (!csv) continue;
                var own = cursor.ReadHeader();
                if (header is not null && own != header)
                    throw new InvalidDataException($"{part.Name}'s header differs from {parts[0].Name}'s: {Quote(own)} / {Quote(header)}.");
                header = own;
            }
            await using var output = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            var newline = csv ? "\r\n" : "\n";
            if (header is not null) await output.WriteAsync(header + newline);

            // Ordinal order of the path, then shard, which never decides: a path is in one shard.
            var queue = new PriorityQueue<RowCursor, (string Key, int Shard)>(
                Comparer<(string Key, int Shard)>.Create((a, b) =>
                    string.CompareOrdinal(a.Key, b.Key) is var c && c != 0 ? c : a.Shard.CompareTo(b.Shard)));
            foreach (var cursor in cursors)
                if (cursor.Next()) queue.Enqueue(cursor, (cursor.Key, cursor.Part.Manifest.Index));
            string? lastKey = null;
            RowCursor? lastCursor = null;
            long rows = 0, keys = 0;
            while (queue.TryDequeue(out var cursor, out _))
            {
                ct.ThrowIfCancellationRequested();
                var key = cursor.Key;
                if (key == lastKey && cursor != lastCursor)
                    throw new InvalidDataException($"{Quote(key)} is in two parts: {lastCursor!.Part.Name} and {cursor.Part.Name}.");
                keys++;
                bool more;
                do
                {
                    await output.WriteAsync(cursor.Record + newline);
                    rows++;
                    more = cursor.Next();
                } while (more && cursor.Key == key);
                (lastKey, lastCursor) = (key, cursor);
                if (more) queue.Enqueue(cursor, (cursor.Key, cursor.Part.Manifest.Index));
            }
            foreach (var cursor in cursors) cursor.Part.CheckCounts(cursor.Rows, cursor.Keys);
            return (rows, keys);
        }
        finally
        {
            foreach (var cursor in cursors) cursor.Dispose();
        }
    }

    // ---- embed: parquet and npy vectors ----

    /// <summary>One part's vectors in file order, a row group (parquet) or a row (npy) at a time.</summary>
    private abstract class EmbeddingCursor(Part part) : IDisposable
    {
        public Part Part { get; } = part;
        public EmbeddingRow Current { get; protected set; } = new(0, null, []);
        public long Rows;
        public abstract int Dimension { get; }
        protected abstract Task<EmbeddingRow?> ReadAsync(CancellationToken ct);

        public async Task<bool> NextAsync(CancellationToken ct)
        {
            var previous = Rows > 0 ? Current.Id : (long?)null;
            if (await ReadAsync(ct) is not { } row) return false;
            if (row.Vector.Length != Dimension)
                throw new InvalidDataException(
                    $"{Part.Name}: the vector of id {row.Id} has {row.Vector.Length} floats, the part {Dimension}.");
            Part.CheckKey(Shard.RowKey(row.Id), previous is { } p ? Shard.RowKey(p) : null,
                (a, b) => long.Parse(a, System.Globalization.CultureInfo.InvariantCulture)
                    .CompareTo(long.Parse(b, System.Globalization.CultureInfo.InvariantCulture)),
                "the id");
            if (previous == row.Id) throw new InvalidDataException($"{Part.Name} holds id {row.Id} twice.");
            Current = row;
            Rows++;
            return true;
        }

        public abstract void Dispose();
    }

    /// <summary>A parquet part as <see cref="EmbeddingWriter"/> writes it: row, id, label, embedding.</summary>
    private sealed class ParquetCursor : EmbeddingCursor
    {
        private readonly FileStream stream;
        private readonly int groups;
        private int group = -1, index;
        private IList<ParquetRow> rows = [];

        public sealed class ParquetRow
        {
            public long row { get; set; }
            public long id { get; set; }
            public string? label { get; set; }
            public float[] embedding { get; set; } = [];
        }

        private ParquetCursor(Part part, FileStream stream, int groups) : base(part)
        {
            (this.stream, this.groups) = (stream, groups);
        }

        public override int Dimension => Part.Manifest.Job.Dimension ?? 0;

        public static async Task<ParquetCursor> OpenAsync(Part part, CancellationToken ct)
        {
            var stream = new FileStream(part.Full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            try
            {
                int groups;
                await using (var reader = await ParquetReader.CreateAsync(stream, leaveStreamOpen: true, cancellationToken: ct))
                {
                    groups = reader.RowGroupCount;
                    var names = reader.Schema.Fields.Select(f => f.Name).ToArray();
                    if (!names.SequenceEqual(["row", "id", "label", "embedding"]))
                        throw new InvalidDataException(
                            $"{part.Name} is not a parquet part of agnews embed (columns {string.Join(", ", names)}).");
                }
                return new ParquetCursor(part, stream, groups);
            }
            catch
            {
                await stream.DisposeAsync();
                throw;
            }
        }

        protected override async Task<EmbeddingRow?> ReadAsync(CancellationToken ct)
        {
            while (index >= rows.Count)
            {
                if (++group >= groups) return null;
                stream.Position = 0;
                rows = (await ParquetSerializer.DeserializeAsync<ParquetRow>(stream, null, group, ct)).Data;
                index = 0;
            }
            var r = rows[index++];
            return new EmbeddingRow(r.id, r.label, r.embedding);
        }

        public override void Dispose() => stream.Dispose();
    }

    /// <summary>An .npy part (float32, C order, [rows, dimension]) and its ids table.</summary>
    private sealed class NpyCursor : EmbeddingCursor
    {
        private readonly FileStream data;
        private readonly StreamReader ids;
        private readonly long count;
        private long read;

        private NpyCursor(Part part, FileStream data, StreamReader ids, long count, int dimension) : base(part)
        {
            (this.data, this.ids, this.count, Dimension) = (data, ids, count, dimension);
        }

        public override int Dimension { get; }

        public static NpyCursor Open(Part part)
        {
            var data = new FileStream(part.Full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            StreamReader? ids = null;
            try
            {
                var (rows, dimension) = NpyHeader(data, part.Name);
                if (dimension != part.Manifest.Job.Dimension)
                    throw new InvalidDataException(
                        $"{part.Name} holds vectors of {dimension} floats, its manifest says {part.Manifest.Job.Dimension}.");
                ids = new StreamReader(EmbeddingWriter.IdsPathFor(part.Full), new UTF8Encoding(false), false);
                if (ids.ReadLine() != "row\tid\tlabel")
                    throw new InvalidDataException($"{EmbeddingWriter.IdsPathFor(part.Full)} is not an ids table of agnews embed.");
                return new NpyCursor(part, data, ids, rows, dimension);
            }
            catch
            {
                data.Dispose();
                ids?.Dispose();
                throw;
            }
        }

        protected override Task<EmbeddingRow?> ReadAsync(CancellationToken ct)
        {
            var line = ids.ReadLine();
            if (line is null || read >= count)
            {
                if ((line is null) != (read >= count))
                    throw new InvalidDataException(
                        $"{Part.Name}: its ids table and its {count} vectors do not have the same number of rows.");
                return Task.FromResult<EmbeddingRow?>(null);
            }
            var fields = line.Split('\t', 3);
            if (fields.Length != 3
                || !long.TryParse(fields[1], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture,
                    out var id))
                throw new InvalidDataException($"{EmbeddingWriter.IdsPathFor(Part.Full)}: not a row of an ids table: {Quote(line)}.");
            var vector = new float[Dimension];
            data.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector.AsSpan()));
            read++;
            return Task.FromResult<EmbeddingRow?>(new EmbeddingRow(id, fields[2].Length == 0 ? null : fields[2], vector));
        }

        public override void Dispose()
        {
            data.Dispose();
            ids.Dispose();
        }
    }

    /// <summary>The shape of an .npy file as <see cref="EmbeddingWriter"/> writes it (format 1.0, '&lt;f4', C order).</summary>
    private static (long Rows, int Dimension) NpyHeader(Stream stream, string name)
    {
        var prefix = new byte[10];
        stream.ReadExactly(prefix);
        if (prefix[0] != 0x93 || !prefix.AsSpan(1, 5).SequenceEqual("NUMPY"u8) || prefix[6] != 1)
            throw new InvalidDataException($"{name} is not an .npy file of agnews embed.");
        var header = new byte[BitConverter.ToUInt16(prefix, 8)];
        stream.ReadExactly(header);
        var match = Regex.Match(Encoding.ASCII.GetString(header), @"'descr': '<f4', 'fortran_order': False, 'shape': \((\d+), (\d+)\)");
        if (!match.Success) throw new InvalidDataException($"{name} is not an .npy file of agnews embed (float32 [rows, dimension]).");
        return (long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task<(long Rows, long Keys)> MergeEmbeddingsAsync(IReadOnlyList<Part> parts, string output, bool npy,
        CancellationToken ct)
    {
        var cursors = new List<EmbeddingCursor>();
        try
        {
            foreach (var part in parts) cursors.Add(npy ? NpyCursor.Open(part) : await ParquetCursor.OpenAsync(part, ct));
            var total = parts.Sum(p => p.Manifest.Rows);
            var queue = new PriorityQueue<EmbeddingCursor, long>();
            foreach (var cursor in cursors)
                if (await cursor.NextAsync(ct)) queue.Enqueue(cursor, cursor.Current.Id);
            var dimension = parts[0].Manifest.Job.Dimension ?? 0; // the same in every part: it is part of the job
            long rows = 0;
            long? lastId = null;
            EmbeddingCursor? lastCursor = null;
            // The ids table is renamed into place just before the vectors, as embed does: both or neither change.
            await AtomicFile.WriteAsync(output, async (data, innerCt) =>
            {
                if (npy) await AtomicFile.WriteAsync(EmbeddingWriter.IdsPathFor(output), (ids, _) => Write(data, ids), innerCt);
                else await Write(data, null);
            }, ct);

            async Task Write(Stream data, Stream? ids)
            {
                using var writer = EmbeddingWriter.Create(output, data, ids, total, dimension);
                var chunk = new List<EmbeddingRow>(EmbeddingWriter.ChunkRows);
                while (queue.TryDequeue(out var cursor, out _))
                {
                    ct.ThrowIfCancellationRequested();
                    var row = cursor.Current;
                    if (row.Id == lastId)
                        throw new InvalidDataException($"id {row.Id} is in two parts: {lastCursor!.Part.Name} and {cursor.Part.Name}.");
                    chunk.Add(row);
                    rows++;
                    (lastId, lastCursor) = (row.Id, cursor);
                    // The same row groups as an unsharded run writes (a chunk each), so the merged file is the same bytes.
                    if (chunk.Count == EmbeddingWriter.ChunkRows)
                    {
                        writer.Add(chunk);
                        chunk.Clear();
                    }
                    if (await cursor.NextAsync(ct)) queue.Enqueue(cursor, cursor.Current.Id);
                }
                if (chunk.Count > 0) writer.Add(chunk);
                foreach (var cursor in cursors) cursor.Part.CheckCounts(cursor.Rows, cursor.Rows);
            }
            return (rows, rows);
        }
        finally
        {
            foreach (var cursor in cursors) cursor.Dispose();
        }
    }
}
