using AgNewsLsp.IO;
using System.Text;

namespace AgNewsLsp.Data;

/// <summary>Tells the form of a labelled file from its extension and its first bytes.</summary>
public static class DataFormatDetector
{
    public static DataFormat Detect(string path)
    {
        var head = new byte[4096];
        int n;
        using (var s = InputFiles.OpenRegular(path, InputLimits.MaxDataFileBytes))
            n = s.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var ext = Path.GetExtension(path).ToLowerInvariant();

        bool parquetMagic = n >= 4 && head[0] == 'P' && head[1] == 'A' && head[2] == 'R' && head[3] == '1';
        if (parquetMagic) return DataFormat.Parquet;
        if (ext == ".parquet")
            throw new DataFormatException(path, null, "has a .parquet extension but does not start with the parquet magic bytes PAR1");
        if (ext is ".jsonl" or ".ndjson" or ".json") return DataFormat.Jsonl;

        var text = Encoding.UTF8.GetString(head, 0, n).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (text.StartsWith('{')) return DataFormat.Jsonl;
        return LooksLikeHeader(text) ? DataFormat.HeaderCsv : DataFormat.AgNewsCsv;
    }

    /// <summary>True when the first line is a CSV header that names both a text and a label column.</summary>
    private static bool LooksLikeHeader(string head)
    {
        var record = new CsvRecordReader(new StringReader(head)).Next();
        if (record is null || record.Error is not null) return false;
        var names = record.Fields.Select(f => f.Trim().ToLowerInvariant()).ToHashSet();
        return names.Contains("text") && names.Contains("label");
    }
}

/// <summary>
/// Finds the file(s) of a split. A file is used as it is. In a folder (or, when it holds none, its data/
/// subfolder) every data file whose name is the split or starts with it and a separator is used:
/// train.csv and train-more.csv, or train-00000-of-00002.parquet and its other shards. The file named
/// exactly for the split comes first, then the others in ordinal order.
/// </summary>
public static class DataLocator
{
    /// <summary>Extensions of the forms <see cref="LabeledDataReader"/> reads.</summary>
    public static IReadOnlyList<string> DataExtensions { get; } = [".csv", ".jsonl", ".parquet"];

    public static IReadOnlyList<string> Resolve(string pathOrDirectory, string split)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pathOrDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(split);
        switch (InputFiles.KindOf(pathOrDirectory))
        {
            case FileKind.Regular: return [pathOrDirectory];
            case FileKind.Other: throw new NotARegularFileException(pathOrDirectory);
            case null: throw new FileNotFoundException($"No such data file or folder: {pathOrDirectory}", pathOrDirectory);
        }

        var looked = new List<string>();
        foreach (var folder in new[] { pathOrDirectory, Path.Combine(pathOrDirectory, "data") })
        {
            looked.Add(Path.Combine(folder, $"{split}*{{{string.Join(",", DataExtensions)}}}"));
            if (!Directory.Exists(folder)) continue;
            var files = Directory.EnumerateFiles(folder)
                .Where(f => IsSplitFile(Path.GetFileName(f), split))
                .OrderBy(f => Path.GetFileNameWithoutExtension(f) == split ? 0 : 1)
                .ThenBy(f => Path.GetFileName(f), StringComparer.Ordinal)
                .ToList();
            if (files.Count > 0) return files;
        }
        throw new FileNotFoundException(
            $"No '{split}' data in {pathOrDirectory}; looked for: {string.Join(", ", looked)}", pathOrDirectory);
    }

    /// <summary>"train.csv", "train-more.csv", "train_2.jsonl": yes; "training.csv", "train.txt": no.</summary>
    private static bool IsSplitFile(string name, string split)
    {
        var ext = Path.GetExtension(name).ToLowerInvariant();
        if (!DataExtensions.Contains(ext)) return false;
        var stem = Path.GetFileNameWithoutExtension(name);
        return stem == split
            || (stem.Length > split.Length && stem.StartsWith(split, StringComparison.Ordinal) && stem[split.Length] is '-' or '_' or '.');
    }
}
