using System.Text.Json;
using static TorchSharp.torch;

namespace AgNewsLsp.Model.Checkpoints;

/// <summary>
/// Reads model.safetensors a tensor at a time: an 8-byte little-endian header length, a JSON header
/// (name -> dtype, shape, data_offsets into the data after it), then the raw little-endian bytes. Every offset
/// and size is checked against the file before anything is allocated. Reading one tensor at a time lets a loader
/// copy it into the model and free it before the next, so loading never holds the whole file a second time.
/// </summary>
public static class SafetensorsReader
{
    /// <summary>Headers are small (names, shapes, offsets); a bigger one is a damaged or hostile file.</summary>
    private const long MaxHeaderBytes = 100 << 20;

    private sealed record Entry(string Name, ScalarType DType, int ElementSize, long[] Shape, long Begin, long End);

    /// <summary>Hands each included tensor to <paramref name="consume"/>; it is disposed when consume returns.</summary>
    public static void ReadEach(string path, Action<string, Tensor> consume, Func<string, bool>? include = null,
        Func<string, string>? describe = null)
    {
        include ??= CheckpointFile.IncludeAll;
        describe ??= CheckpointFile.Quoted;
        using var stream = CheckpointFile.Open(path);
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.Read(lengthBytes) != 8) throw new InvalidDataException("it is too short to be a safetensors file.");
        long headerLength = BitConverter.ToInt64(lengthBytes);
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || headerLength > stream.Length - 8)
            throw new InvalidDataException(
                $"its header length ({headerLength} bytes) does not fit the file ({stream.Length} bytes): " +
                "not a safetensors file, or truncated.");
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataStart = 8 + headerLength, dataLength = stream.Length - dataStart;

        var entries = new List<Entry>();
        try
        {
            using var json = JsonDocument.Parse(header);
            foreach (var property in json.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__" || !include(property.Name)) continue;
                var value = property.Value;
                var (dtype, size) = DType(value.GetProperty("dtype").GetString() ?? "", property.Name, describe);
                var shape = value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                var offsets = value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                if (offsets.Length != 2 || shape.Any(d => d < 0))
                    throw new InvalidDataException($"tensor {describe(property.Name)} has a malformed shape or data_offsets.");
                long numel = shape.Aggregate(1L, (a, d) => checked(a * d));
                if (offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength
                    || offsets[1] - offsets[0] != checked(numel * size))
                    throw new InvalidDataException(
                        $"tensor {describe(property.Name)} (shape [{string.Join(", ", shape)}], " +
                        $"{value.GetProperty("dtype").GetString()}) " +
                        $"has data_offsets [{offsets[0]}, {offsets[1]}] that do not fit its size or the file's " +
                        $"{dataLength} data bytes (truncated?).");
                entries.Add(new Entry(property.Name, dtype, size, shape, offsets[0], offsets[1]));
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"its header is not the JSON safetensors writes ({e.Message}).", e);
        }

        foreach (var entry in entries.OrderBy(e => e.Begin))
        {
            stream.Position = dataStart + entry.Begin;
            using var tensor = empty(entry.Shape, entry.DType);
            tensor.ReadBytesFromStream(stream);
            consume(entry.Name, tensor);
        }
    }

    private static (ScalarType, int) DType(string name, string tensor, Func<string, string> describe) =>
        CheckpointFile.SafetensorsDType(name)
            ?? throw new InvalidDataException($"tensor {describe(tensor)} has dtype '{name}', which is not read.");
}
