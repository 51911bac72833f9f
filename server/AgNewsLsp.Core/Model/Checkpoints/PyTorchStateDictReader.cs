using System.Collections;
using System.IO.Compression;
using System.Numerics;
using System.Runtime.CompilerServices;
using Razorvine.Pickle;
using Razorvine.Pickle.Objects;
using static TorchSharp.torch;

namespace AgNewsLsp.Model.Checkpoints;

/// <summary>
/// Reads a state dict written by <c>torch.save</c>, in both of its formats:
/// <list type="bullet">
/// <item>zip (PyTorch 1.6 and later): <c>archive/data.pkl</c> holds the pickle, <c>archive/data/KEY</c> each storage's bytes;</item>
/// <item>legacy (before 1.6, and <c>_use_new_zipfile_serialization=False</c>; bert-base-uncased's own pytorch_model.bin):
/// a sequence of pickles (magic number, protocol version, system info, the state dict, the sorted storage keys),
/// then each storage's raw little-endian bytes, preceded by its element count as an int64.</item>
/// </list>
/// In both, the state-dict pickle names storages by persistent ids (<c>('storage', torch.FloatStorage, key, location,
/// numel[, view])</c>) and rebuilds tensors with <c>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)</c>.
/// The pickles go through Razorvine's unpickler, which never runs code: it constructs only the tensor rebuild functions
/// and OrderedDict; any other class called with arguments is refused. Sizes read from the file are checked against
/// the file before anything is allocated, so a damaged file is an error, not a huge allocation.
/// </summary>
public static class PyTorchStateDictReader
{
    /// <summary>The int pickled first in a legacy file (torch/serialization.py MAGIC_NUMBER).</summary>
    private static readonly BigInteger LegacyMagic = BigInteger.Parse("119547037146038801333356");
    private const long LegacyProtocolVersion = 1001;

    /// <summary>True when the file starts like a zip archive (torch.save's default format since 1.6).</summary>
    public static bool IsZip(string path)
    {
        using var stream = CheckpointFile.Open(path);
        Span<byte> head = stackalloc byte[4];
        return stream.Read(head) == 4 && head.SequenceEqual("PK\x03\x04"u8);
    }

    /// <summary>
    /// The tensors of the state dict in <paramref name="path"/>, keyed as the file names them. <paramref name="include"/>
    /// picks keys (storages only the others use are skipped, not read); <paramref name="describe"/> names a key in errors.
    /// Tensors may be views sharing a storage (tied weights); the caller disposes them.
    /// </summary>
    public static Dictionary<string, Tensor> Read(string path, Func<string, bool>? include = null, Func<string, string>? describe = null)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            ReadEach(path, (key, tensor) => result[key] = tensor.alias(), include, describe);
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Hands each included tensor to <paramref name="consume"/> as soon as its storage is read, and frees the storage once
    /// its tensors are consumed: a loader that copies them into a model holds one storage at a time, not the whole file.
    /// The tensor handed over is disposed when <paramref name="consume"/> returns (keep <c>alias()</c> of it to hold on).
    /// </summary>
    public static void ReadEach(string path, Action<string, Tensor> consume, Func<string, bool>? include = null,
        Func<string, string>? describe = null)
    {
        include ??= CheckpointFile.IncludeAll;
        describe ??= CheckpointFile.Quoted;
        using var stream = CheckpointFile.Open(path);
        Span<byte> head = stackalloc byte[4];
        int got = stream.Read(head);
        stream.Position = 0;
        if (got == 4 && head.SequenceEqual("PK\x03\x04"u8)) ReadZip(stream, consume, include, describe);
        else if (got >= 2 && head[0] == 0x80) ReadLegacy(stream, consume, include, describe); // PROTO opcode: a pickle
        else if (IsTar(stream))
            throw new InvalidDataException(
                "it is in the tar format of PyTorch 0.3 and older, which is not read; re-save it with a newer PyTorch.");
        else throw new InvalidDataException("it is not a PyTorch checkpoint (neither a zip archive nor a pickle).");
    }

    private static bool IsTar(FileStream stream)
    {
        Span<byte> magic = stackalloc byte[5];
        if (stream.Length < 262) return false;
        stream.Position = 257;
        bool tar = stream.Read(magic) == 5 && magic.SequenceEqual("ustar"u8);
        stream.Position = 0;
        return tar;
    }

    private static void ReadZip(FileStream stream, Action<string, Tensor> consume, Func<string, bool> include,
        Func<string, string> describe)
    {
        using var archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        var pickleEntry = archive.Entries
            .FirstOrDefault(e => e.FullName == "data.pkl" || e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal))
            ?? throw new InvalidDataException("it is a zip archive without data.pkl, so not a torch.save file.");
        var prefix = pickleEntry.FullName[..^"data.pkl".Length];
        if (archive.GetEntry(prefix + "byteorder") is { } order)
        {
            using var reader = new StreamReader(order.Open());
            var value = reader.ReadToEnd().Trim();
            if (value != "little") throw new InvalidDataException($"its byte order is '{value}'; only little-endian checkpoints are read.");
        }
        var unpickler = new StateDictUnpickler();
        object root;
        using (var pickle = pickleEntry.Open()) root = unpickler.Load(pickle);
        var wanted = Wanted(root, include, describe);

        foreach (var users in wanted.GroupBy(kv => kv.Value.Storage))
        {
            var storage = users.Key;
            var entry = archive.GetEntry(prefix + "data/" + storage.Key)
                ?? throw new InvalidDataException(
                    $"storage {storage.Key} (used by {describe(users.First().Key)}) is missing from the archive.");
            long bytes = checked(storage.Numel * storage.ElementSize);
            if (entry.Length != bytes)
                throw new InvalidDataException(
                    $"storage {storage.Key} (used by {describe(users.First().Key)}) holds {entry.Length} bytes, " +
                    $"but its pickle says {storage.Numel} elements of {storage.ElementSize} bytes.");
            using var data = entry.Open();
            using var storageTensor = ReadStorage(data, storage);
            foreach (var (key, pending) in users) Consume(key, pending, storageTensor, consume, describe);
        }
    }

    private static void ReadLegacy(FileStream stream, Action<string, Tensor> consume, Func<string, bool> include,
        Func<string, string> describe)
    {
        var magic = new Unpickler().load(stream);
        if (ToBigInteger(magic) != LegacyMagic)
            throw new InvalidDataException(
                "it starts with a pickle but not with torch.save's magic number, so it is not a PyTorch checkpoint.");
        var protocol = new Unpickler().load(stream);
        if (ToBigInteger(protocol) != LegacyProtocolVersion)
            throw new InvalidDataException($"its legacy format version is {protocol}; only {LegacyProtocolVersion} is read.");
        if (new Unpickler().load(stream) is not IDictionary sysInfo)
            throw new InvalidDataException("its system-information pickle is not a dict.");
        if (sysInfo["little_endian"] is false)
            throw new InvalidDataException("it was saved on a big-endian machine; only little-endian checkpoints are read.");

        var unpickler = new StateDictUnpickler();
        var root = unpickler.Load(stream);
        if (new Unpickler().load(stream) is not IList keyList)
            throw new InvalidDataException("the list of storage keys after the state dict is missing.");
        var users = Wanted(root, include, describe).GroupBy(kv => kv.Value.Storage).ToDictionary(g => g.Key, g => g.ToList());

        // The storages follow in the order of the key list, each as an int64 element count and the raw bytes.
        Span<byte> count = stackalloc byte[8];
        try
        {
            foreach (var item in keyList)
            {
                var key = Convert.ToString(item, System.Globalization.CultureInfo.InvariantCulture) ?? "";
                if (!unpickler.Storages.TryGetValue(key, out var storage))
                    throw new InvalidDataException($"storage {key} is listed but no tensor refers to it.");
                stream.ReadExactly(count);
                long numel = BitConverter.ToInt64(count);
                if (numel != storage.Numel)
                    throw new InvalidDataException($"storage {key} holds {numel} elements, but its pickle says {storage.Numel}.");
                long bytes = checked(numel * storage.ElementSize);
                if (bytes > stream.Length - stream.Position)
                    throw new InvalidDataException(
                        $"storage {key} needs {bytes} bytes but only {stream.Length - stream.Position} are left: the file is truncated.");
                if (users.Remove(storage, out var tensors))
                {
                    using var storageTensor = ReadStorage(stream, storage);
                    foreach (var (name, pending) in tensors) Consume(name, pending, storageTensor, consume, describe);
                }
                else stream.Seek(bytes, SeekOrigin.Current);
            }
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("the file ends inside its storages: it is truncated.");
        }
        foreach (var (storage, tensors) in users)
            throw new InvalidDataException($"storage {storage.Key} (used by {describe(tensors[0].Key)}) is not in the file.");
    }

    private static Tensor ReadStorage(Stream data, StorageRef storage)
    {
        var tensor = empty([storage.Numel], storage.DType);
        try
        {
            tensor.ReadBytesFromStream(data);
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>The included string-keyed tensors of the unpickled root, which must be a dict.</summary>
    private static Dictionary<string, PendingTensor> Wanted(object root, Func<string, bool> include, Func<string, string> describe)
    {
        if (root is not IDictionary dict)
            throw new InvalidDataException($"it holds a {PythonType(root)}, not a state dict.");
        var wanted = new Dictionary<string, PendingTensor>(StringComparer.Ordinal);
        int tensors = 0;
        foreach (DictionaryEntry entry in dict)
        {
            if (entry.Key is not string key || entry.Value is not PendingTensor tensor) continue; // e.g. a saved epoch count
            tensors++;
            if (include(key)) wanted[key] = tensor;
        }
        if (tensors == 0)
            throw new InvalidDataException("it holds a dict without tensors, not a state dict" +
                                           (dict.Keys.Cast<object>().FirstOrDefault(k => k is "state_dict" or "model") is { } inner
                                               ? $" (the tensors may be under '{inner}'; save that dict instead)." : "."));
        return wanted;
    }

    /// <summary>The tensor as a view of its storage, after checking it stays inside; disposed once consumed.</summary>
    private static void Consume(string key, PendingTensor t, Tensor storage, Action<string, Tensor> consume, Func<string, string> describe)
    {
        long offset = t.Offset;
        long last = offset;
        bool empty = false;
        if (t.Shape.Length != t.Stride.Length)
            throw new InvalidDataException($"tensor {describe(key)} has {t.Shape.Length} sizes but {t.Stride.Length} strides.");
        for (int d = 0; d < t.Shape.Length; d++)
        {
            if (t.Shape[d] < 0 || t.Stride[d] < 0)
                throw new InvalidDataException($"tensor {describe(key)} has a negative size or stride.");
            if (t.Shape[d] == 0) empty = true;
            else last = checked(last + (t.Shape[d] - 1) * t.Stride[d]);
        }
        if (offset < 0 || (!empty && last >= t.Storage.Numel))
            throw new InvalidDataException(
                $"tensor {describe(key)} (shape [{string.Join(", ", t.Shape)}], stride [{string.Join(", ", t.Stride)}], offset {offset}) " +
                $"reaches past its storage of {t.Storage.Numel} elements.");
        using var view = storage.as_strided(t.Shape, t.Stride, offset);
        consume(key, view);
    }

    private static BigInteger ToBigInteger(object? value) => value switch
    {
        BigInteger b => b,
        int i => i,
        long l => l,
        _ => BigInteger.MinusOne,
    };

    private static string PythonType(object? value) => value switch
    {
        null => "None",
        ClassDict c => c.ClassName,
        object[] => "tuple",
        IList => "list",
        PendingTensor => "tensor",
        _ => value.GetType().Name,
    };

    /// <summary>A storage as the state-dict pickle names it. The element count and type come from its persistent id.</summary>
    private sealed record StorageRef(string Key, ScalarType DType, int ElementSize, long Numel);

    /// <summary>Legacy files may name a view into a storage, starting at an element offset.</summary>
    private sealed record StorageView(StorageRef Storage, long Offset);

    /// <summary>What _rebuild_tensor_v2 was called with; made into a tensor once the storages are read.</summary>
    private sealed record PendingTensor(StorageRef Storage, long Offset, long[] Shape, long[] Stride);

    /// <summary>
    /// The unpickler of the state-dict pickle: storages are resolved by key through persistent ids, and the rebuild
    /// functions return <see cref="PendingTensor"/>s, because in a legacy file the bytes come after the pickle.
    /// </summary>
    private sealed class StateDictUnpickler : Unpickler
    {
        public Dictionary<string, StorageRef> Storages { get; } = new(StringComparer.Ordinal);

        static StateDictUnpickler()
        {
            // Razorvine keeps one global constructor table, and TorchSharp.PyBridge fills it on first use. Let PyBridge
            // register first, then put ours in front: they handle our storages and pass anything else on to PyBridge's.
            RuntimeHelpers.RunClassConstructor(typeof(TorchSharp.PyBridge.PyTorchUnpickler).TypeHandle);
            foreach (var name in new[] { "_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_parameter" })
            {
                objectConstructors.TryGetValue("torch._utils." + name, out var previous);
                registerConstructor("torch._utils", name, new RebuildConstructor(name, previous));
            }
            registerConstructor("collections", "OrderedDict", new OrderedDictConstructor());
        }

        public object Load(Stream stream)
        {
            try
            {
                return load(stream);
            }
            catch (PickleException e)
            {
                throw new InvalidDataException($"its state-dict pickle holds something other than tensors ({e.Message})", e);
            }
            catch (Exception e) when (e is InvalidCastException or IndexOutOfRangeException or NullReferenceException or ArgumentException)
            {
                throw new InvalidDataException($"its state-dict pickle does not have the shape torch.save writes ({e.Message})", e);
            }
        }

        protected override object persistentLoad(object pid)
        {
            if (pid is not object[] { Length: >= 5 } id || id[0] is not "storage")
                throw new InvalidDataException("its pickle refers to something other than a tensor storage.");
            var typeName = id[1] is ClassDictConstructor c ? c.name : throw new InvalidDataException("a storage has no type.");
            var (dtype, size) = StorageType(typeName);
            var key = Convert.ToString(id[2], System.Globalization.CultureInfo.InvariantCulture) ?? "";
            long numel = Convert.ToInt64(id[4]);
            if (numel < 0) throw new InvalidDataException($"storage {key} has a negative size.");
            if (!Storages.TryGetValue(key, out var storage))
                Storages[key] = storage = new StorageRef(key, dtype, size, numel);
            // A legacy view: (view_key, offset, view_size).
            if (id.Length > 5 && id[5] is object[] { Length: 3 } view)
                return new StorageView(storage, Convert.ToInt64(view[1]));
            return storage;
        }

        private static (ScalarType, int) StorageType(string name) =>
            CheckpointFile.StorageDType(name) ?? throw new InvalidDataException($"it holds a storage of type {name}, which is not read.");
    }

    private sealed class RebuildConstructor(string name, IObjectConstructor? previous) : IObjectConstructor
    {
        public object construct(object[] args)
        {
            if (args.Length == 0 || args[0] is not (StorageRef or StorageView or PendingTensor))
                return previous?.construct(args) ?? throw new PickleException($"torch._utils.{name} called without a storage");
            if (name == "_rebuild_parameter")
                throw new InvalidDataException("it holds a whole pickled model, not a state dict; save model.state_dict() instead.");
            if (args.Length < 4) throw new InvalidDataException($"torch._utils.{name} was called with {args.Length} arguments.");
            var (storage, viewOffset) = args[0] switch
            {
                StorageView v => (v.Storage, v.Offset),
                _ => ((StorageRef)args[0], 0L),
            };
            return new PendingTensor(storage, checked(viewOffset + Convert.ToInt64(args[1])), Longs(args[2]), Longs(args[3]));
        }

        private static long[] Longs(object value) => value is object[] items
            ? items.Select(Convert.ToInt64).ToArray()
            : throw new InvalidDataException("a tensor's size or stride is not a tuple.");
    }

    private sealed class OrderedDictConstructor : IObjectConstructor
    {
        public object construct(object[] args) => new OrderedDict();
    }

    /// <summary>A state dict's OrderedDict. Its pickled state (the _metadata attribute) is dropped, as PyBridge does.</summary>
    private sealed class OrderedDict : Hashtable
    {
        // Called by the unpickler's BUILD opcode, by name.
        public void __setstate__(Hashtable state) { }
    }
}
