using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgNewsLsp.Bench;

/// <summary>One measured number: what, under which setting, the value and how to show it.</summary>
public sealed record Row(string Section, string Measure, string Setting, double? Value, string Unit, string Shown, string Note = "");

/// <summary>Everything one run measured: rows for the table plus the context that makes them comparable.</summary>
public sealed class Report
{
    public string Date { get; init; } = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
    public bool Quick { get; init; }
    public Dictionary<string, object?> Machine { get; } = new();
    public List<Row> Rows { get; } = new();
    public List<string> Notes { get; } = new();
    public Dictionary<string, object?> Details { get; } = new();
    public double TotalSeconds { get; set; }

    public Row Add(string section, string measure, string setting, double? value, string unit, string? shown = null, string note = "")
    {
        var row = new Row(section, measure, setting, value, unit, shown ?? Format(value, unit), note);
        Rows.Add(row);
        Console.Error.WriteLine($"  {section} | {measure} | {setting} | {row.Shown} {note}");
        return row;
    }

    public static string Format(double? value, string unit)
    {
        if (value is not double v || double.IsNaN(v)) return "n/a";
        var inv = CultureInfo.InvariantCulture;
        return unit switch
        {
            "%" => (v * 100).ToString("F2", inv) + " %",
            "s" => v.ToString(v < 10 ? "F2" : "F1", inv) + " s",
            "ms" => v.ToString(v < 10 ? "F2" : "F1", inv) + " ms",
            "texts/s" => v.ToString(v < 10 ? "F2" : "F1", inv) + " texts/s",
            "x" => v.ToString("F2", inv) + "x",
            "MiB" => v.ToString("F0", inv) + " MiB",
            _ => v.ToString("G4", inv) + (unit.Length > 0 ? " " + unit : ""),
        };
    }

    /// <summary>The table as Markdown (what the console shows and the README records).</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| section | measure | setting | value | note |");
        sb.AppendLine("|---|---|---|---:|---|");
        foreach (var r in Rows)
            sb.AppendLine($"| {Escape(r.Section)} | {Escape(r.Measure)} | {Escape(r.Setting)} | {Escape(r.Shown)} | {Escape(r.Note)} |");
        return sb.ToString();
    }

    private static string Escape(string s) => s.Replace("|", "\\|");

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public void Save(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, JsonSerializer.Serialize(this, Json));
    }
}

public static class Stats
{
    /// <summary>Nearest-rank percentile of an unsorted sample.</summary>
    public static double Percentile(IReadOnlyList<double> sample, double p)
    {
        if (sample.Count == 0) return double.NaN;
        var sorted = sample.OrderBy(x => x).ToArray();
        int rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static double Median(IReadOnlyList<double> sample) => Percentile(sample, 50);

    public static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return dot / Math.Sqrt(Math.Max(na * nb, 1e-30));
    }

    public static double MaxAbsDiff(float[] a, float[] b)
    {
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
