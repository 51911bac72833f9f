using System.Globalization;
using System.Net;
using System.Text;

namespace AgNewsLsp.Bench;

/// <summary>A hand-written SVG line plot: no plotting library for one chart.</summary>
public static class Plot
{
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

    /// <summary>
    /// Accuracy (0-1) against training rows, the x axis logarithmic (the sizes grow geometrically); one line with
    /// points per series, a legend, labelled axes and gridlines.
    /// </summary>
    /// <param name="xLabel">The x axis's title (its values are counts, shown with thousands separators).</param>
    /// <param name="pointUnit">What a point's count counts, in its tooltip.</param>
    /// <param name="baseline">A level to draw across the plot as a dashed line, with its name (the accuracy before anything was learnt).</param>
    public static string LearningCurveSvg(string title, IReadOnlyList<(string Name, IReadOnlyList<(double Rows, double Accuracy)> Points)> series,
        string xLabel = "training rows (log scale)", (string Name, double Accuracy)? baseline = null, string pointUnit = "rows")
    {
        var all = series.SelectMany(s => s.Points).ToArray();
        if (all.Length == 0) throw new ArgumentException("Nothing to plot.", nameof(series));
        var levels = all.Select(p => p.Accuracy).Concat(baseline is { } b ? [b.Accuracy] : []).ToArray();
        const double width = 720, height = 440, left = 70, right = 20, top = 40, bottom = 60;
        double xMin = Math.Log10(all.Min(p => p.Rows)), xMax = Math.Log10(all.Max(p => p.Rows));
        if (xMax - xMin < 1e-9) (xMin, xMax) = (xMin - 0.5, xMax + 0.5);
        // A little room either side, so the end points and their labels sit inside the axes.
        double pad = 0.04 * (xMax - xMin);
        (xMin, xMax) = (xMin - pad, xMax + pad);
        // y: whole percentage points around the data.
        double yMin = Math.Floor(levels.Min() * 100 - 0.5), yMax = Math.Ceiling(levels.Max() * 100 + 0.5);
        double X(double rows) => left + (Math.Log10(rows) - xMin) / (xMax - xMin) * (width - left - right);
        double Y(double accuracy) => top + (yMax - accuracy * 100) / (yMax - yMin) * (height - top - bottom);
        string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

        var svg = new StringBuilder();
        svg.AppendLine($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{F(width)}\" height=\"{F(height)}\" viewBox=\"0 0 {F(width)} {F(height)}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.AppendLine($"<rect width=\"{F(width)}\" height=\"{F(height)}\" fill=\"white\"/>");
        svg.AppendLine($"<text x=\"{F(width / 2)}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">{WebUtility.HtmlEncode(title)}</text>");
        double yStep = yMax - yMin > 10 ? 2 : 1;
        for (double y = yMin; y <= yMax + 1e-9; y += yStep)
        {
            svg.AppendLine($"<line x1=\"{F(left)}\" y1=\"{F(Y(y / 100))}\" x2=\"{F(width - right)}\" y2=\"{F(Y(y / 100))}\" stroke=\"#ddd\"/>");
            svg.AppendLine($"<text x=\"{F(left - 6)}\" y=\"{F(Y(y / 100) + 4)}\" text-anchor=\"end\">{F(y)}%</text>");
        }
        foreach (var rows in all.Select(p => p.Rows).Distinct().Order())
        {
            svg.AppendLine($"<line x1=\"{F(X(rows))}\" y1=\"{F(top)}\" x2=\"{F(X(rows))}\" y2=\"{F(height - bottom)}\" stroke=\"#eee\"/>");
            svg.AppendLine($"<text x=\"{F(X(rows))}\" y=\"{F(height - bottom + 16)}\" text-anchor=\"middle\">{rows.ToString("#,0", CultureInfo.InvariantCulture)}</text>");
        }
        svg.AppendLine($"<line x1=\"{F(left)}\" y1=\"{F(height - bottom)}\" x2=\"{F(width - right)}\" y2=\"{F(height - bottom)}\" stroke=\"black\"/>");
        svg.AppendLine($"<line x1=\"{F(left)}\" y1=\"{F(top)}\" x2=\"{F(left)}\" y2=\"{F(height - bottom)}\" stroke=\"black\"/>");
        svg.AppendLine($"<text x=\"{F((left + width - right) / 2)}\" y=\"{F(height - 18)}\" text-anchor=\"middle\">{WebUtility.HtmlEncode(xLabel)}</text>");
        if (baseline is { } level)
        {
            svg.AppendLine($"<line x1=\"{F(left)}\" y1=\"{F(Y(level.Accuracy))}\" x2=\"{F(width - right)}\" y2=\"{F(Y(level.Accuracy))}\" stroke=\"#555\" stroke-dasharray=\"6 4\"/>");
            svg.AppendLine($"<text x=\"{F(left + 6)}\" y=\"{F(Y(level.Accuracy) - 5)}\" fill=\"#555\">{WebUtility.HtmlEncode(level.Name)}: " +
                           $"{(level.Accuracy * 100).ToString("F2", CultureInfo.InvariantCulture)}%</text>");
        }
        svg.AppendLine($"<text x=\"16\" y=\"{F((top + height - bottom) / 2)}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {F((top + height - bottom) / 2)})\">test accuracy</text>");
        for (int s = 0; s < series.Count; s++)
        {
            var color = Colors[s % Colors.Length];
            var points = series[s].Points.OrderBy(p => p.Rows).ToArray();
            svg.AppendLine($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{string.Join(' ', points.Select(p => $"{F(X(p.Rows))},{F(Y(p.Accuracy))}"))}\"/>");
            foreach (var p in points)
                svg.AppendLine($"<circle cx=\"{F(X(p.Rows))}\" cy=\"{F(Y(p.Accuracy))}\" r=\"4\" fill=\"{color}\"><title>{WebUtility.HtmlEncode(series[s].Name)}: " +
                               $"{p.Rows.ToString("#,0", CultureInfo.InvariantCulture)} {WebUtility.HtmlEncode(pointUnit)}, {(p.Accuracy * 100).ToString("F2", CultureInfo.InvariantCulture)}%</title></circle>");
            // Legend at the bottom right: learning curves rise to the right, so that corner stays clear.
            double ly = height - bottom - 16 - 18 * (series.Count - 1 - s);
            svg.AppendLine($"<line x1=\"{F(width - right - 200)}\" y1=\"{F(ly)}\" x2=\"{F(width - right - 176)}\" y2=\"{F(ly)}\" stroke=\"{color}\" stroke-width=\"2\"/>");
            svg.AppendLine($"<circle cx=\"{F(width - right - 188)}\" cy=\"{F(ly)}\" r=\"4\" fill=\"{color}\"/>");
            svg.AppendLine($"<text x=\"{F(width - right - 170)}\" y=\"{F(ly + 4)}\">{WebUtility.HtmlEncode(series[s].Name)}</text>");
        }
        svg.AppendLine("</svg>");
        return svg.ToString();
    }
}
