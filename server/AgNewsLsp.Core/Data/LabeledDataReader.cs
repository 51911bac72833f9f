using AgNewsLsp.IO;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Parquet;
using Parquet.Schema;

namespace AgNewsLsp.Data;

/// <summary>
/// Reads labelled texts from canonical AG News CSV, Hugging Face-style CSV with a header, JSONL or parquet.
/// Texts are kept verbatim (backslash sequences are not unescaped); canonical rows become title + " " +
/// description, as in Hugging Face's ag_news.
/// </summary>
/// <remarks>
/// Labels come out as indices into <see cref="LabeledDataset.LabelNames"/>, which each read decides once, by the
/// rule of <see cref="ClassNames"/>:
/// <list type="bullet">
/// <item>A classes.txt beside the data file lists the classes in index order; labels are numbers (1-based in
/// AG News CSV, 0-based elsewhere) or those names.</item>
/// <item>Without one, numbers mean the AG News classes (1-4 in AG News CSV, 0-3 elsewhere), and a file that has
/// numbers may name only AG News classes besides.</item>
/// <item>A file labelled by names alone has those classes: World, Sports, Business, Sci/Tech in that order when
/// every name is one of them, else the names in ordinal order, ignoring case (not in the order rows happen to come).</item>
/// </list>
/// Names match whatever their case. Files read together must come out with the same classes.
/// </remarks>
public static class LabeledDataReader
{
    /// <summary>Reads a file, or a split found in a folder by <see cref="DataLocator"/> (split defaults to "train").</summary>
    public static LabeledDataset Read(string path, DataReadOptions? options = null) => ReadSplit(path, "train", options);

    /// <summary>Reads a file as it is, or the named split ("train"/"test") of a data folder.</summary>
    public static LabeledDataset ReadSplit(string pathOrDirectory, string split, DataReadOptions? options = null) =>
        ReadSplit([pathOrDirectory], split, options);

    /// <summary>
    /// Reads several files and folders (each folder's split files, see <see cref="DataLocator"/>) as one dataset,
    /// in order. A text that an earlier file already held (whitespace runs collapsed) is counted once: later
    /// copies are left out and counted in <see cref="LabeledDataset.DuplicateRows"/>. Duplicates inside one file
    /// are kept, as the file has them.
    /// </summary>
    public static LabeledDataset ReadSplit(IReadOnlyList<string> paths, string split, DataReadOptions? options = null)
    {
        options ??= DataReadOptions.Default;
        if (paths.Count == 0) throw new ArgumentException("No data path given.", nameof(paths));
        var files = paths.SelectMany(p => DataLocator.Resolve(p, split)).Distinct(StringComparer.Ordinal).ToList();
        if (files.Count == 1) return ReadFile(files[0], options);

        var rows = new List<LabeledText>();
        var problems = new List<string>();
        var seenInEarlierFiles = new HashSet<string>(StringComparer.Ordinal);
        int skipped = 0, duplicates = 0;
        DataFormat? format = null;
        LabeledDataset? first = null;
        foreach (var file in files)
        {
            int? left = options.Limit is int l ? l - rows.Count : null;
            if (left <= 0) break;
            var part = ReadFile(file, options with { Limit = left });
            first ??= part;
            if (!part.LabelNames.SequenceEqual(first.LabelNames, ClassNames.Comparer))
                throw new DataFormatException(file, null,
                    $"its classes ({string.Join(", ", part.LabelNames)}) " +
                    $"differ from those of {first.Path} ({string.Join(", ", first.LabelNames)}); " +
                    $"files read together must have the same classes (a {ClassNames.FileName} beside them can list them)");
            var keys = new List<string>(part.Rows.Count);
            foreach (var row in part.Rows)
            {
                var key = DuplicateKey(row.Text);
                if (seenInEarlierFiles.Contains(key)) { duplicates++; continue; }
                keys.Add(key);
                rows.Add(row);
            }
            seenInEarlierFiles.UnionWith(keys);
            skipped += part.SkippedRows;
            problems.AddRange(part.Problems.Take(LabeledDataset.MaxProblemsKept - problems.Count));
            format = format is null || format == part.Format ? part.Format : DataFormat.Mixed;
        }
        var description = string.Join(" + ", files.Select(Path.GetFileName));
        return new LabeledDataset(rows, skipped, format ?? DataFormat.Mixed, description)
        {
            Problems = problems, DuplicateRows = duplicates, Files = files, LabelNames = first?.LabelNames ?? AgNewsLabels.Names,
        };
    }

    /// <summary>Two texts that differ only in runs of whitespace are the same text.</summary>
    private static string DuplicateKey(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Reads one file in the given (or detected) format.</summary>
    public static LabeledDataset ReadFile(string path, DataReadOptions? options = null)
    {
        options ??= DataReadOptions.Default;
        if (options.Limit is < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Limit, "Limit must not be negative.");
        InputFiles.EnsureRegularFile(path);
        var format = options.Format ?? DataFormatDetector.Detect(path);
        var sink = new RowSink(path, options, ClassNames.ReadBeside(path), firstNumber: format == DataFormat.AgNewsCsv ? 1 : 0);
        switch (format)
        {
            case DataFormat.AgNewsCsv: ReadAgNewsCsv(path, sink); break;
            case DataFormat.HeaderCsv: ReadHeaderCsv(path, sink); break;
            case DataFormat.Jsonl: ReadJsonl(path, sink); break;
            case DataFormat.Parquet: ReadParquet(path, sink); break;
            default: throw new ArgumentOutOfRangeException(nameof(options), format, "Unknown data format.");
        }
        var (rows, labelNames) = sink.Finish();
        return new LabeledDataset(rows, sink.Skipped, format, path) { Problems = sink.Problems, Files = [path], LabelNames = labelNames };
    }

    private static StreamReader OpenText(string path) =>
        new(InputFiles.OpenRegular(path, InputLimits.MaxDataFileBytes), new UTF8Encoding(false, throwOnInvalidBytes: false),
            detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);

    private static void ReadAgNewsCsv(string path, RowSink sink)
    {
        using var reader = OpenText(path);
        foreach (var record in new CsvRecordReader(reader, path).ReadAll())
        {
            if (sink.Full) return;
            if (record.Error is { } error) { sink.Bad(record.Line, error); continue; }
            var f = record.Fields;
            if (f.Count != 3)
            {
                sink.Bad(record.Line, $"expected 3 columns (class, title, description), found {f.Count}");
                continue;
            }
            sink.AddClassNumber(record.Line, f[1] + " " + f[2], f[0]);
        }
    }

    private static void ReadHeaderCsv(string path, RowSink sink)
    {
        using var reader = OpenText(path);
        var csv = new CsvRecordReader(reader, path);
        var header = csv.Next()
            ?? throw new DataFormatException(path, null, "the file is empty (expected a header with text and label columns)");
        if (header.Error is { } headerError) throw new DataFormatException(path, header.Line, $"bad header: {headerError}");
        int textCol = IndexOf(header.Fields, "text");
        int labelCol = IndexOf(header.Fields, "label");
        if (textCol < 0 || labelCol < 0)
            throw new DataFormatException(path, header.Line,
                $"the header must name a 'text' and a 'label' column; it has: {string.Join(", ", header.Fields)}");
        while (csv.Next() is { } record)
        {
            if (sink.Full) return;
            if (record.Error is { } error) { sink.Bad(record.Line, error); continue; }
            if (record.Fields.Count != header.Fields.Count)
            {
                sink.Bad(record.Line, $"expected {header.Fields.Count} columns as in the header, found {record.Fields.Count}");
                continue;
            }
            sink.Add(record.Line, record.Fields[textCol], record.Fields[labelCol]);
        }
    }

    private static void ReadJsonl(string path, RowSink sink)
    {
        using var reader = OpenText(path);
        long lineNo = 0;
        while (ReadBoundedLine(reader, path, lineNo + 1) is { } line)
        {
            lineNo++;
            if (sink.Full) return;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException e) { sink.Bad(lineNo, $"not valid JSON: {e.Message}"); continue; }
            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) { sink.Bad(lineNo, "expected a JSON object with text and label"); continue; }
                if (!TryGetProperty(root, "text", out var textEl) || textEl.ValueKind != JsonValueKind.String)
                {
                    sink.Bad(lineNo, "missing string property 'text'");
                    continue;
                }
                if (!TryGetProperty(root, "label", out var labelEl)) { sink.Bad(lineNo, "missing property 'label'"); continue; }
                string rawLabel = labelEl.ValueKind switch
                {
                    JsonValueKind.Number => labelEl.GetRawText(),
                    JsonValueKind.String => labelEl.GetString()!,
                    _ => labelEl.GetRawText(),
                };
                sink.Add(lineNo, textEl.GetString()!, rawLabel);
            }
        }
    }

    private static void ReadParquet(string path, RowSink sink) =>
        ReadParquetAsync(path, sink).GetAwaiter().GetResult();

    private static async Task ReadParquetAsync(string path, RowSink sink)
    {
        await using var stream = InputFiles.OpenRegular(path, InputLimits.MaxDataFileBytes);
        CheckParquetFooter(stream, path);
        ParquetReader reader;
        try { reader = await ParquetReader.CreateAsync(stream); }
        catch (Exception e)
        {
            // An IOException here is a seek the file's metadata asked for, not a failing disk: still the file's fault.
            throw new DataFormatException(path, null, $"not a readable parquet file: {e.Message}", e);
        }
        await using (reader)
        {
            var fields = reader.Schema.GetDataFields();
            var textField = fields.FirstOrDefault(f => string.Equals(f.Name, "text", StringComparison.OrdinalIgnoreCase));
            var labelField = fields.FirstOrDefault(f => string.Equals(f.Name, "label", StringComparison.OrdinalIgnoreCase));
            if (textField is null || labelField is null)
                throw new DataFormatException(path, null,
                    $"parquet needs 'text' and 'label' columns; it has: {string.Join(", ", fields.Select(f => f.Name))}");
            if (!IsStringLike(textField.ClrType))
                throw new DataFormatException(path, null, $"the 'text' column must hold strings, not {textField.ClrType.Name}");
            long rowBase = 0;
            for (int g = 0; g < reader.RowGroupCount && !sink.Full; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                int n = checked((int)group.RowCount);
                var texts = new string?[n];
                await group.ReadAsync(textField, texts.AsMemory());
                var labels = await ReadLabelsAsync(group, labelField, n, path);
                for (int i = 0; i < n && !sink.Full; i++)
                {
                    long row = rowBase + i + 1;
                    sink.Add(row, texts[i], labels[i], "row");
                }
                rowBase += n;
            }
        }
    }

    /// <summary>
    /// A parquet file ends in its footer's length (int32, little-endian) and "PAR1": a length outside the file is refused
    /// here by name, where Parquet.Net would seek outside the file and report only "Invalid argument".
    /// </summary>
    private static void CheckParquetFooter(Stream stream, string path)
    {
        const int Magic = 4, Tail = 8;
        if (stream.Length < Magic + Tail) throw new DataFormatException(path, null, "not a parquet file: too short for a footer");
        var tail = new byte[Tail];
        stream.Seek(-Tail, SeekOrigin.End);
        stream.ReadExactly(tail);
        stream.Seek(0, SeekOrigin.Begin);
        if (!tail.AsSpan(Magic).SequenceEqual("PAR1"u8))
            throw new DataFormatException(path, null, "not a parquet file: it does not end in PAR1 (truncated?)");
        var footerLength = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(tail);
        if (footerLength <= 0 || footerLength > stream.Length - Magic - Tail)
            throw new DataFormatException(path, null,
                $"corrupt parquet footer: its length says {footerLength} bytes, the file holds {stream.Length} (truncated or damaged?)");
    }

    /// <summary>Parquet.Net reports UTF-8 columns as string or ReadOnlyMemory&lt;char&gt;; binary ones are read as UTF-8 too.</summary>
    private static bool IsStringLike(Type t) =>
        t == typeof(string) || t == typeof(ReadOnlyMemory<char>) || t == typeof(ReadOnlyMemory<byte>) || t == typeof(byte[]);

    /// <summary>The label column as strings (numbers in invariant form, nulls as null), whatever its type.</summary>
    private static async Task<string?[]> ReadLabelsAsync(ParquetRowGroupReader group, DataField field, int n, string path)
    {
        var t = field.ClrType;
        if (IsStringLike(t))
        {
            var s = new string?[n];
            await group.ReadAsync(field, s.AsMemory());
            return s;
        }
        if (t == typeof(long)) return await ReadNumbers<long>(group, field, n);
        if (t == typeof(int)) return await ReadNumbers<int>(group, field, n);
        if (t == typeof(short)) return await ReadNumbers<short>(group, field, n);
        if (t == typeof(sbyte)) return await ReadNumbers<sbyte>(group, field, n);
        if (t == typeof(byte)) return await ReadNumbers<byte>(group, field, n);
        if (t == typeof(ushort)) return await ReadNumbers<ushort>(group, field, n);
        if (t == typeof(uint)) return await ReadNumbers<uint>(group, field, n);
        if (t == typeof(ulong)) return await ReadNumbers<ulong>(group, field, n);
        throw new DataFormatException(path, null, $"the 'label' column must hold integers or class names, not {t.Name}");
    }

    private static async Task<string?[]> ReadNumbers<T>(ParquetRowGroupReader group, DataField field, int n)
        where T : struct, IFormattable
    {
        var result = new string?[n];
        if (field.IsNullable)
        {
            var values = new T?[n];
            await group.ReadAsync(field, values.AsMemory());
            for (int i = 0; i < n; i++) result[i] = values[i]?.ToString(null, CultureInfo.InvariantCulture);
        }
        else
        {
            var values = new T[n];
            await group.ReadAsync(field, values.AsMemory());
            for (int i = 0; i < n; i++) result[i] = values[i].ToString(null, CultureInfo.InvariantCulture);
        }
        return result;
    }

    private static int IndexOf(IReadOnlyList<string> header, string name)
    {
        for (int i = 0; i < header.Count; i++)
            if (string.Equals(header[i].Trim(), name, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    private static bool TryGetProperty(JsonElement obj, string name, out JsonElement value)
    {
        if (obj.TryGetProperty(name, out value)) return true;
        foreach (var p in obj.EnumerateObject())
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) { value = p.Value; return true; }
        return false;
    }

    /// <summary>One line without its break, refusing one longer than <see cref="InputLimits.MaxRecordChars"/>; null at the end.</summary>
    private static string? ReadBoundedLine(TextReader reader, string path, long lineNo)
    {
        var sb = new StringBuilder();
        while (true)
        {
            int c = reader.Read();
            if (c == -1) return sb.Length == 0 ? null : sb.ToString();
            if (c == '\n') return sb.ToString();
            if (c == '\r')
            {
                if (reader.Peek() == '\n') reader.Read();
                return sb.ToString();
            }
            if (sb.Length >= InputLimits.MaxRecordChars)
                throw new DataFormatException(path, lineNo, $"the line is longer than {InputLimits.MaxRecordChars} characters");
            sb.Append((char)c);
        }
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";

    /// <summary>
    /// Collects good rows up to the limit and handles bad ones (throw or skip and count). A label becomes a class index
    /// as it comes when the classes are known by then (listed in a classes file, or a number); a name not of AG News
    /// waits for the end of the file, as only then is it known whether the file's names make its classes.
    /// </summary>
    /// <param name="listed">The classes a classes file beside the data lists; null when there is none.</param>
    /// <param name="firstNumber">The number of the first class: 1 in AG News CSV, 0 elsewhere.</param>
    private sealed class RowSink(string path, DataReadOptions options, IReadOnlyList<string>? listed, int firstNumber)
    {
        /// <summary>A kept row: its class index, or -1 and the class name still to be placed.</summary>
        private readonly record struct Kept(long Line, string Unit, string Text, int Label, string? Name);

        private readonly List<Kept> _kept = [];
        private bool _sawNumber, _sawOtherName;

        public List<string> Problems { get; } = [];
        public int Skipped { get; private set; }
        public bool Full => options.Limit is int l && _kept.Count >= l;

        private IReadOnlyList<string> NumberedClasses => listed ?? AgNewsLabels.Names;
        private string NumberRange => $"{firstNumber}-{firstNumber + NumberedClasses.Count - 1}";

        /// <summary>A row of AG News CSV: its class column holds a number only.</summary>
        public void AddClassNumber(long line, string text, string rawClass)
        {
            if (!int.TryParse(rawClass.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int number)
                || number - firstNumber < 0 || number - firstNumber >= NumberedClasses.Count)
            {
                Bad(line, $"class must be {NumberRange}, found '{Shorten(rawClass)}'{NumbersHint}");
                return;
            }
            Keep(line, "line", text, number - firstNumber, null);
        }

        /// <summary>A row whose label is a class number or a class name.</summary>
        public void Add(long line, string? text, string? rawLabel, string unit = "line")
        {
            var label = rawLabel?.Trim() ?? "";
            if (label.Length == 0) { Bad(line, "label is empty", unit); return; }
            if (int.TryParse(label, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int number))
            {
                if (number - firstNumber < 0 || number - firstNumber >= NumberedClasses.Count)
                {
                    // A stray bad number is a bad row; it does not make the names of the others AG News names.
                    Bad(line, $"label must be {NumberRange} or a class name, found '{Shorten(label)}'{NumbersHint}", unit);
                    return;
                }
                _sawNumber = true;
                Keep(line, unit, text, number - firstNumber, null);
            }
            else if (listed is not null)
            {
                int index = ClassNames.IndexOf(listed, label);
                if (index < 0)
                    Bad(line,
                        $"label must be {NumberRange} or one of {string.Join(", ", listed)} (from {ClassNames.FileName}), " +
                        $"found '{Shorten(label)}'", unit);
                else Keep(line, unit, text, index, null);
            }
            else
            {
                _sawOtherName |= !ClassNames.IsAgNewsName(label);
                Keep(line, unit, text, -1, label);
            }
        }

        private string NumbersHint => listed is null
            ? $" (numbers mean the AG News classes unless a {ClassNames.FileName} beside the data lists others)"
            : "";

        private void Keep(long line, string unit, string? text, int label, string? name)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            if (text is null) { Bad(line, "text is null", unit); return; }
            if (string.IsNullOrWhiteSpace(text)) { Bad(line, "text is empty", unit); return; }
            _kept.Add(new Kept(line, unit, text, label, name));
        }

        /// <summary>The file's classes (see <see cref="ClassNames"/>) and its rows labelled by index into them.</summary>
        public (List<LabeledText> Rows, IReadOnlyList<string> LabelNames) Finish()
        {
            // A number means an AG News class when no classes file lists others, so then names must be AG News classes too.
            var labelNames = listed
                ?? (_sawOtherName && !_sawNumber
                    ? ClassNames.FromLabels(_kept.Where(k => k.Name is not null).Select(k => k.Name!))
                    : AgNewsLabels.Names);
            var rows = new List<LabeledText>(_kept.Count);
            foreach (var k in _kept)
            {
                int label = k.Name is null ? k.Label : ClassNames.IndexOf(labelNames, k.Name);
                if (label < 0)
                {
                    Bad(k.Line,
                        $"label must be {NumberRange} or one of {string.Join(", ", labelNames)}, found '{Shorten(k.Name!)}': " +
                        $"the file also has numeric labels, " +
                        $"and without a {ClassNames.FileName} beside it numbers mean the AG News classes", k.Unit);
                    continue;
                }
                rows.Add(new LabeledText(k.Text, label));
            }
            return (rows, labelNames);
        }

        public void Bad(long line, string reason, string unit = "line")
        {
            options.Cancellation.ThrowIfCancellationRequested();
            if (!options.SkipBadRows)
                throw new DataFormatException(path, line, reason, unit: unit);
            Skipped++;
            if (Problems.Count < LabeledDataset.MaxProblemsKept) Problems.Add($"{path}, {unit} {line}: {reason}");
        }
    }
}
