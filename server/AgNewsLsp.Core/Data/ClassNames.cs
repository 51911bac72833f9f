using AgNewsLsp.IO;

namespace AgNewsLsp.Data;

/// <summary>
/// How labelled data names its classes (the rule <see cref="LabeledDataReader"/> applies to every file). A
/// <see cref="FileName"/> beside the data file lists the names in index order. Without one, numeric labels mean the
/// AG News classes, and class names alone make the list: the AG News order when every name is an AG News class,
/// else the names in ordinal order, ignoring case. Either way the list never depends on which row comes first.
/// Names match whatever their case, so "health" and "Health" are one class.
/// </summary>
public static class ClassNames
{
    /// <summary>Beside a data file: one class name a line, in index order (blank lines are ignored).</summary>
    public const string FileName = "classes.txt";

    /// <summary>A classes file is a short list; anything larger is not one.</summary>
    private const long MaxFileBytes = 1 << 20;

    /// <summary>Names match whatever their case ("sci/tech" is Sci/Tech), in the data and against a head's names.</summary>
    public static StringComparer Comparer => StringComparer.OrdinalIgnoreCase;

    /// <summary>The names listed in the classes file beside <paramref name="dataFile"/>, or null when there is none.</summary>
    public static IReadOnlyList<string>? ReadBeside(string dataFile)
    {
        var path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(dataFile))!, FileName);
        if (!File.Exists(path)) return null;
        using var reader = new StreamReader(InputFiles.OpenRegular(path, MaxFileBytes), detectEncodingFromByteOrderMarks: true);
        var names = new List<string>();
        long lineNo = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            var name = line.Trim();
            if (name.Length == 0) continue;
            if (names.FirstOrDefault(n => Comparer.Equals(n, name)) is { } earlier)
                throw new DataFormatException(path, lineNo, $"class '{name}' is listed twice (as '{earlier}' before)");
            names.Add(name);
        }
        return names.Count > 0 ? names : throw new DataFormatException(path, null, "it names no classes (one name a line, in index order)");
    }

    /// <summary>
    /// The classes that names found in data make, with no classes file to order them: when every name is an AG News
    /// class, the AG News classes as AG News spells and orders them; otherwise each name as the data writes it (a
    /// "business" among "politics" and "tech" stays "business"). A class spelled several ways ("Health", "health") takes
    /// its ordinally first spelling (capitals sort first), so that no row order decides it.
    /// </summary>
    public static IReadOnlyList<string> FromLabels(IEnumerable<string> names)
    {
        var classes = names.GroupBy(n => n, Comparer).Select(g => g.Min(StringComparer.Ordinal)!).ToList();
        if (classes.All(IsAgNewsName)) return AgNewsLabels.Names;
        return classes.Order(Comparer).ToArray();
    }

    /// <summary>
    /// The index of <paramref name="name"/> in <paramref name="names"/>, matched by <see cref="Comparer"/>; -1 when absent.
    /// </summary>
    public static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
            if (Comparer.Equals(names[i], name)) return i;
        return -1;
    }

    public static bool IsAgNewsName(string name) => AgNewsIndex(name) is not null;

    private static int? AgNewsIndex(string name) => IndexOf(AgNewsLabels.Names, name) is var i and >= 0 ? i : null;
}
