using static TorchSharp.torch;

namespace AgNewsLsp.Model.Checkpoints;

/// <summary>What the checkpoint readers share: how a file is opened, how a tensor is named in errors, and the dtypes read.</summary>
internal static class CheckpointFile
{
    /// <summary>Read-only, shared with other readers, and buffered for a tensor's worth of sequential reads.</summary>
    public static FileStream Open(string path) => new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);

    public static bool IncludeAll(string key) => true;

    /// <summary>How a key is named in an error when the caller gives no better description.</summary>
    public static string Quoted(string key) => $"'{key}'";

    /// <summary>Each dtype the readers take: its element size, its safetensors name and its torch.save storage class.</summary>
    private static readonly (ScalarType Type, int Size, string Safetensors, string Storage)[] DTypes =
    [
        (ScalarType.Float32, 4, "F32", "FloatStorage"),
        (ScalarType.Float16, 2, "F16", "HalfStorage"),
        (ScalarType.BFloat16, 2, "BF16", "BFloat16Storage"),
        (ScalarType.Float64, 8, "F64", "DoubleStorage"),
        (ScalarType.Int64, 8, "I64", "LongStorage"),
        (ScalarType.Int32, 4, "I32", "IntStorage"),
        (ScalarType.Int16, 2, "I16", "ShortStorage"),
        (ScalarType.Int8, 1, "I8", "CharStorage"),
        (ScalarType.Byte, 1, "U8", "ByteStorage"),
        (ScalarType.Bool, 1, "BOOL", "BoolStorage"),
    ];

    /// <summary>A safetensors dtype name ("F32"); null when it is not read.</summary>
    public static (ScalarType Type, int Size)? SafetensorsDType(string name) =>
        DTypes.Where(d => d.Safetensors == name).Select(d => ((ScalarType, int)?)(d.Type, d.Size)).FirstOrDefault();

    /// <summary>A torch.save storage class name ("FloatStorage"); null when it is not read.</summary>
    public static (ScalarType Type, int Size)? StorageDType(string name) =>
        DTypes.Where(d => d.Storage == name).Select(d => ((ScalarType, int)?)(d.Type, d.Size)).FirstOrDefault();
}
