using System.Runtime.InteropServices;
using System.Text;
using Parquet;
using Parquet.Schema;

namespace AgNewsLsp.Features;

/// <summary>One text's vector and where it came from: the input's line (text files) or row (labelled files), and its label if
/// any.</summary>
public sealed record EmbeddingRow(long Id, string? Label, float[] Vector);

/// <summary>
/// Writes vectors where other tools read them, a chunk at a time (the whole matrix is never held):
/// <list type="bullet">
/// <item>.npy: NumPy's format, float32, C order, shape [rows, dimension] (numpy.load reads it), with a table beside it,
/// FILE.ids.tsv: row (index into the matrix), id, label;</item>
/// <item>.parquet: columns row, id, label and embedding (a list of float32), one row group per chunk.</item>
/// </list>
/// </summary>
public abstract class EmbeddingWriter : IDisposable
{
    /// <summary>
    /// Rows per <see cref="Add"/> call of <c>agnews embed</c> (a parquet row group each); a merge of shards adds in chunks of
    /// the same size, so that its file has the same row groups, and bytes, as one run's.
    /// </summary>
    public const int ChunkRows = 4096;

    public abstract void Add(IReadOnlyList<EmbeddingRow> rows);
    public virtual void Dispose() { }

    /// <summary>The ids table written beside an .npy file.</summary>
    public static string IdsPathFor(string npyPath) => Path.ChangeExtension(npyPath, null) + ".ids.tsv";

    public static bool IsSupported(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".npy" or ".parquet";

    /// <summary>A writer for <paramref name="path"/>'s form; the streams are the (temporary) files to write into.</summary>
    public static EmbeddingWriter Create(string path, Stream output, Stream? ids, long rows, int dimension) =>
        Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".npy" => new NpyWriter(output, ids ?? throw new ArgumentNullException(nameof(ids)), rows, dimension),
            ".parquet" => new ParquetEmbeddingWriter(output, dimension),
            _ => throw new ArgumentException($"{path}: the output must end in .npy or .parquet."),
        };

    private sealed class NpyWriter : EmbeddingWriter
    {
        private readonly Stream _data;
        private readonly StreamWriter _ids;
        private readonly int _dimension;
        private long _row;

        public NpyWriter(Stream data, Stream ids, long rows, int dimension)
        {
            _data = data;
            _dimension = dimension;
            WriteHeader(data, rows, dimension);
            _ids = new StreamWriter(ids, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            _ids.WriteLine("row\tid\tlabel");
        }

        /// <summary>NumPy format 1.0: magic, version, a little-endian uint16 header length, a Python dict literal padded to 64
        /// bytes.</summary>
        private static void WriteHeader(Stream stream, long rows, int dimension)
        {
            var dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {dimension}), }}";
            int total = 10 + dict.Length + 1;
            var header = dict + new string(' ', (64 - total % 64) % 64) + "\n";
            if (header.Length > ushort.MaxValue) throw new InvalidOperationException("npy header too long");
            stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y']);
            stream.Write([1, 0]);
            stream.Write(BitConverter.GetBytes((ushort)header.Length));
            stream.Write(Encoding.ASCII.GetBytes(header));
        }

        public override void Add(IReadOnlyList<EmbeddingRow> rows)
        {
            foreach (var row in rows)
            {
                if (row.Vector.Length != _dimension)
                    throw new ArgumentException($"vector of {row.Vector.Length} floats, expected {_dimension}");
                _data.Write(MemoryMarshal.AsBytes(row.Vector.AsSpan())); // float32 little-endian, as '<f4' says (x64 and arm64)
                _ids.Write(_row++);
                _ids.Write('\t');
                _ids.Write(row.Id);
                _ids.Write('\t');
                _ids.WriteLine(row.Label ?? "");
            }
        }

        public override void Dispose() => _ids.Dispose();
    }

    private sealed class ParquetEmbeddingWriter : EmbeddingWriter
    {
        private readonly ParquetSchema _schema = new(
            new DataField<long>("row"), new DataField<long>("id"), new DataField<string>("label", true),
            new ListField("embedding", new DataField<float>("element")));
        private readonly ParquetWriter _writer;
        private readonly int _dimension;
        private long _row;

        public ParquetEmbeddingWriter(Stream output, int dimension)
        {
            _dimension = dimension;
            _writer = ParquetWriter.CreateAsync(_schema, output).GetAwaiter().GetResult();
        }

        public override void Add(IReadOnlyList<EmbeddingRow> rows)
        {
            if (rows.Count == 0) return;
            var fields = _schema.GetDataFields();
            var values = new float[rows.Count * _dimension];
            var repetition = new int[values.Length]; // 0 starts a row's list, 1 continues it
            for (int r = 0; r < rows.Count; r++)
            {
                if (rows[r].Vector.Length != _dimension)
                    throw new ArgumentException($"vector of {rows[r].Vector.Length} floats, expected {_dimension}");
                rows[r].Vector.CopyTo(values, r * _dimension);
                for (int k = 1; k < _dimension; k++) repetition[r * _dimension + k] = 1;
            }
            using var group = _writer.CreateRowGroup();
            group.WriteAsync(fields[0], new ReadOnlyMemory<long>(Enumerable.Range(0, rows.Count).Select(i => _row + i).ToArray()))
                .GetAwaiter().GetResult();
            group.WriteAsync(fields[1], new ReadOnlyMemory<long>(rows.Select(r => r.Id).ToArray())).GetAwaiter().GetResult();
            group.WriteAsync(fields[2], rows.Select(r => r.Label).ToArray()!).GetAwaiter().GetResult();
            var defined = new int[values.Length]; // every list and element present
            Array.Fill(defined, fields[3].MaxDefinitionLevel);
            group.WriteAllPartsAsync(fields[3], new ReadOnlyMemory<float>(values), new ReadOnlyMemory<int>(defined),
                new ReadOnlyMemory<int>(repetition), CancellationToken.None)
                .GetAwaiter().GetResult();
            _row += rows.Count;
        }

        public override void Dispose() => _writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
