using System.Text;

namespace AgNewsLsp.Model.Checkpoints;

/// <summary>A float initializer of an ONNX graph: name, shape, row-major data.</summary>
public sealed record OnnxTensor(string Name, long[] Shape, float[] Data);

/// <summary>One node of an ONNX graph (only what weight mapping needs).</summary>
public sealed record OnnxNode(string Name, string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs);

/// <summary>
/// The parts of an ONNX ModelProto that carry BERT weights: initializers and nodes. A minimal protobuf
/// reader (fields of onnx.proto3) so the project needs no generated code or ONNX runtime to import weights.
/// </summary>
public sealed class OnnxGraph
{
    public IReadOnlyList<OnnxNode> Nodes { get; }
    public IReadOnlyDictionary<string, OnnxTensor> Initializers { get; }

    private OnnxGraph(List<OnnxNode> nodes, Dictionary<string, OnnxTensor> initializers)
    {
        Nodes = nodes;
        Initializers = initializers;
    }

    // onnx.proto field numbers.
    private const int ModelGraph = 7;
    private const int GraphNode = 1, GraphInitializer = 5;
    private const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4;
    private const int TensorDims = 1, TensorDataType = 2, TensorFloatData = 4, TensorName = 8, TensorRawData = 9, TensorDataLocation = 14;
    private const int DataTypeFloat = 1;

    public static OnnxGraph Parse(ReadOnlyMemory<byte> model)
    {
        var nodes = new List<OnnxNode>();
        var initializers = new Dictionary<string, OnnxTensor>();
        bool sawGraph = false;
        var reader = new ProtoReader(model);
        while (reader.Next(out int field, out int wire))
        {
            if (field == ModelGraph && wire == ProtoReader.LengthDelimited)
            {
                sawGraph = true;
                var graph = new ProtoReader(reader.ReadBytes());
                while (graph.Next(out int gf, out int gw))
                {
                    if (gf == GraphNode && gw == ProtoReader.LengthDelimited) nodes.Add(ParseNode(graph.ReadBytes()));
                    else if (gf == GraphInitializer && gw == ProtoReader.LengthDelimited)
                    {
                        var tensor = ParseTensor(graph.ReadBytes());
                        if (tensor is not null) initializers[tensor.Name] = tensor;
                    }
                    else graph.Skip(gw);
                }
            }
            else reader.Skip(wire);
        }
        if (!sawGraph) throw new InvalidDataException("Not an ONNX model: no graph found.");
        return new OnnxGraph(nodes, initializers);
    }

    private static OnnxNode ParseNode(ReadOnlyMemory<byte> bytes)
    {
        var r = new ProtoReader(bytes);
        var inputs = new List<string>();
        var outputs = new List<string>();
        string name = "", op = "";
        while (r.Next(out int f, out int w))
        {
            switch (f)
            {
                case NodeInput when w == ProtoReader.LengthDelimited: inputs.Add(r.ReadString()); break;
                case NodeOutput when w == ProtoReader.LengthDelimited: outputs.Add(r.ReadString()); break;
                case NodeName when w == ProtoReader.LengthDelimited: name = r.ReadString(); break;
                case NodeOpType when w == ProtoReader.LengthDelimited: op = r.ReadString(); break;
                default: r.Skip(w); break;
            }
        }
        return new OnnxNode(name, op, inputs, outputs);
    }

    /// <summary>Reads a float tensor; returns null for other element types (ints, shapes), which carry no weights.</summary>
    private static OnnxTensor? ParseTensor(ReadOnlyMemory<byte> bytes)
    {
        var r = new ProtoReader(bytes);
        var dims = new List<long>();
        int dataType = 0;
        string name = "";
        ReadOnlyMemory<byte> raw = default;
        var floats = new List<float>();
        bool external = false;
        while (r.Next(out int f, out int w))
        {
            switch (f)
            {
                case TensorDims when w == ProtoReader.Varint: dims.Add((long)r.ReadVarint()); break;
                case TensorDims when w == ProtoReader.LengthDelimited:
                    var packed = new ProtoReader(r.ReadBytes());
                    while (!packed.AtEnd) dims.Add((long)packed.ReadVarint());
                    break;
                case TensorDataType when w == ProtoReader.Varint: dataType = (int)r.ReadVarint(); break;
                case TensorFloatData when w == ProtoReader.LengthDelimited:
                    var span = r.ReadBytes().Span;
                    for (int i = 0; i + 4 <= span.Length; i += 4) floats.Add(BitConverter.ToSingle(span[i..]));
                    break;
                case TensorFloatData when w == ProtoReader.Fixed32: floats.Add(r.ReadFloat()); break;
                case TensorName when w == ProtoReader.LengthDelimited: name = r.ReadString(); break;
                case TensorRawData when w == ProtoReader.LengthDelimited: raw = r.ReadBytes(); break;
                case TensorDataLocation when w == ProtoReader.Varint: external = r.ReadVarint() == 1; break;
                default: r.Skip(w); break;
            }
        }
        if (dataType != DataTypeFloat) return null;
        if (external)
            throw new InvalidDataException(
                $"Initializer {name} keeps its data in an external file; only self-contained ONNX models are supported.");
        long count = dims.Aggregate(1L, (a, b) => a * b);
        float[] data = raw.Length > 0 ? new float[raw.Length / 4] : floats.ToArray();
        if (raw.Length > 0) Buffer.BlockCopy(raw.ToArray(), 0, data, 0, raw.Length);
        if (data.Length != count)
            throw new InvalidDataException(
                $"Initializer {name}: shape [{string.Join(",", dims)}] needs {count} floats, found {data.Length}.");
        return new OnnxTensor(name, dims.ToArray(), data);
    }

    /// <summary>Protocol-buffers wire reader over a byte buffer.</summary>
    private struct ProtoReader(ReadOnlyMemory<byte> buffer)
    {
        public const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;
        private int _position;

        public readonly bool AtEnd => _position >= buffer.Length;

        public bool Next(out int field, out int wire)
        {
            field = wire = 0;
            if (AtEnd) return false;
            ulong key = ReadVarint();
            field = (int)(key >> 3);
            wire = (int)(key & 7);
            return true;
        }

        public ulong ReadVarint()
        {
            ulong result = 0;
            var span = buffer.Span;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_position >= span.Length) throw new InvalidDataException("Truncated ONNX file (varint).");
                byte b = span[_position++];
                result |= (ulong)(b & 0x7f) << shift;
                if ((b & 0x80) == 0) return result;
            }
            throw new InvalidDataException("Malformed varint in ONNX file.");
        }

        public ReadOnlyMemory<byte> ReadBytes()
        {
            ulong length = ReadVarint();
            if (length > (ulong)(buffer.Length - _position))
                throw new InvalidDataException("Truncated ONNX file (length-delimited field).");
            var slice = buffer.Slice(_position, (int)length);
            _position += (int)length;
            return slice;
        }

        public string ReadString() => Encoding.UTF8.GetString(ReadBytes().Span);

        public float ReadFloat()
        {
            if (_position + 4 > buffer.Length) throw new InvalidDataException("Truncated ONNX file (fixed32).");
            float v = BitConverter.ToSingle(buffer.Span[_position..]);
            _position += 4;
            return v;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case Varint: ReadVarint(); break;
                case Fixed64: _position += 8; break;
                case LengthDelimited: ReadBytes(); break;
                case Fixed32: _position += 4; break;
                default: throw new InvalidDataException($"Unsupported protobuf wire type {wire} in ONNX file.");
            }
            if (_position > buffer.Length) throw new InvalidDataException("Truncated ONNX file.");
        }
    }
}
