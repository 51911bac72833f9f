using System.Globalization;
using System.Text;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Engine;

/// <summary>
/// A folder's rows as RFC 4180 CSV: a header, then file, unit, startLine, endLine, label, probability (of that label),
/// truncated, and one column per label with its probability. Records end in CRLF, as the RFC has them.
/// </summary>
public sealed class FolderCsvWriter(TextWriter output) : IFolderRowWriter
{
    public static IReadOnlyList<string> FixedColumns { get; } =
        ["file", "unit", "startLine", "endLine", "label", "probability", "truncated"];

    public void WriteHeader(IReadOnlyList<string> labelNames) => Record(FixedColumns.Concat(labelNames.Select(Text)));

    public void WriteRow(FolderRow row)
    {
        var p = row.Prediction;
        var top = p.LabelIndex >= 0 && p.LabelIndex < p.Probabilities.Length ? p.Probabilities[p.LabelIndex] : 0f;
        Record(new[]
        {
            Text(row.File), SettingNames.Name(row.Unit), Number(row.StartLine), Number(row.EndLine), Text(p.Label), Probability(top),
            p.Truncated ? "true" : "false",
        }.Concat(p.Probabilities.Select(Probability)));
    }

    public void Flush() => output.Flush();

    private void Record(IEnumerable<string> fields)
    {
        var first = true;
        foreach (var field in fields)
        {
            if (!first) output.Write(',');
            output.Write(Field(field));
            first = false;
        }
        output.Write("\r\n");
    }

    /// <summary>A field as RFC 4180 has it: quoted, with quotes doubled, when it holds a comma, a quote or a line break.</summary>
    public static string Field(string value)
    {
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0) return value;
        return new StringBuilder(value.Length + 2).Append('"').Append(value.Replace("\"", "\"\"")).Append('"').ToString();
    }

    /// <summary>
    /// A text cell (a file name, a label) that a spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a
    /// carriage return: a file named <c>=HYPERLINK(...).txt</c>) gets a leading <c>'</c>, as OWASP's CSV injection page
    /// advises; numbers are never passed here, so -1 stays a number.
    /// </summary>
    public static string Text(string value) =>
        value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;

    /// <summary>Rounded to six places, as the wire's predictions are.</summary>
    private static string Probability(float p) => Math.Round((double)p, 6).ToString("0.######", CultureInfo.InvariantCulture);

    private static string Number(int n) => n.ToString(CultureInfo.InvariantCulture);
}
