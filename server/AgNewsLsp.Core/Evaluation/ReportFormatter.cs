using System.Globalization;
using System.Text;

namespace AgNewsLsp.Evaluation;

/// <summary>Plain-text rendering of an <see cref="EvaluationReport"/> for terminals and logs.</summary>
public static class ReportFormatter
{
    /// <summary>Up to this many classes the confusion matrix is printed whole; above, a row per class is a wall of columns.</summary>
    public const int MaxMatrixClasses = 12;

    /// <summary>Above <see cref="MaxMatrixClasses"/>, how many of the largest confusions are printed instead.</summary>
    public const int TopConfusions = 10;

    public static string ToText(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        int nameWidth = Math.Max("macro avg".Length, report.LabelNames.Count == 0 ? 0 : report.LabelNames.Max(n => n.Length));
        int supportWidth = Math.Max("support".Length, report.Count.ToString(inv).Length);

        sb.Append("".PadRight(nameWidth)).Append("  ")
          .Append("precision".PadLeft(9)).Append("  ")
          .Append("recall".PadLeft(9)).Append("  ")
          .Append("f1".PadLeft(9)).Append("  ")
          .Append("support".PadLeft(supportWidth)).AppendLine();
        foreach (var m in report.PerClass)
            sb.Append(m.Label.PadRight(nameWidth)).Append("  ")
              .Append(m.Precision.ToString("F4", inv).PadLeft(9)).Append("  ")
              .Append(m.Recall.ToString("F4", inv).PadLeft(9)).Append("  ")
              .Append(m.F1.ToString("F4", inv).PadLeft(9)).Append("  ")
              .Append(m.Support.ToString(inv).PadLeft(supportWidth)).AppendLine();
        sb.AppendLine();
        sb.Append("accuracy".PadRight(nameWidth)).Append("  ").Append(report.Accuracy.ToString("F4", inv))
          .Append("  (").Append(report.Count.ToString(inv)).AppendLine(" rows)");
        sb.Append("macro-F1".PadRight(nameWidth)).Append("  ").AppendLine(report.MacroF1.ToString("F4", inv));
        sb.Append("log-loss".PadRight(nameWidth)).Append("  ").AppendLine(report.LogLoss.ToString("F4", inv));
        sb.Append("ECE".PadRight(nameWidth)).Append("  ").Append(report.ExpectedCalibrationError.ToString("F4", inv))
          .AppendLine($"  (expected calibration error, {Calibration.EceBins} bins)");
        sb.AppendLine();

        if (report.LabelNames.Count > MaxMatrixClasses) AppendTopConfusions(sb, report);
        else AppendMatrix(sb, report, nameWidth);
        return sb.ToString();
    }

    /// <summary>The largest off-diagonal cells, largest first (ties in gold, then predicted order): "count  gold -> predicted".</summary>
    private static void AppendTopConfusions(StringBuilder sb, EvaluationReport report)
    {
        var inv = CultureInfo.InvariantCulture;
        var names = report.LabelNames;
        var cells = report.ConfusionMatrix
            .SelectMany((row, gold) => row.Select((count, predicted) => (Count: count, Gold: gold, Predicted: predicted)))
            .Where(c => c.Gold != c.Predicted && c.Count > 0)
            .OrderByDescending(c => c.Count).ThenBy(c => c.Gold).ThenBy(c => c.Predicted)
            .Take(TopConfusions).ToList();
        sb.AppendLine($"most frequent confusions ({names.Count} classes: the matrix is in --json; count  gold -> predicted)");
        if (cells.Count == 0)
        {
            sb.AppendLine("  none");
            return;
        }
        int countWidth = cells[0].Count.ToString(inv).Length;
        int goldWidth = cells.Max(c => names[c.Gold].Length);
        foreach (var c in cells)
            sb.Append("  ").Append(c.Count.ToString(inv).PadLeft(countWidth)).Append("  ")
              .Append(names[c.Gold].PadRight(goldWidth)).Append(" -> ").AppendLine(names[c.Predicted]);
    }

    private static void AppendMatrix(StringBuilder sb, EvaluationReport report, int nameWidth)
    {
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine("confusion matrix (rows: gold, columns: predicted)");
        var names = report.LabelNames;
        int cellWidth = Math.Max(names.Count == 0 ? 1 : names.Max(n => n.Length),
            report.ConfusionMatrix.SelectMany(r => r).DefaultIfEmpty(0).Max().ToString(inv).Length);
        sb.Append("".PadRight(nameWidth));
        foreach (var n in names) sb.Append("  ").Append(n.PadLeft(cellWidth));
        sb.AppendLine();
        for (int g = 0; g < names.Count; g++)
        {
            sb.Append(names[g].PadRight(nameWidth));
            foreach (var count in report.ConfusionMatrix[g]) sb.Append("  ").Append(count.ToString(inv).PadLeft(cellWidth));
            sb.AppendLine();
        }
    }
}
