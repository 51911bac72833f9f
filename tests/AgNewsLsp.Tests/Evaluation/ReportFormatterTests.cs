using AgNewsLsp.Data;
using AgNewsLsp.Evaluation;

namespace AgNewsLsp.Tests.Evaluation;

public class ReportFormatterTests
{
    private static EvaluationReport Sample()
    {
        int[] gold = [0, 1, 2, 3, 3, 2];
        float[][] probs =
        [
            [0.7f, 0.1f, 0.1f, 0.1f],
            [0.1f, 0.7f, 0.1f, 0.1f],
            [0.1f, 0.1f, 0.7f, 0.1f],
            [0.1f, 0.1f, 0.1f, 0.7f],
            [0.1f, 0.1f, 0.7f, 0.1f],
            [0.1f, 0.1f, 0.7f, 0.1f],
        ];
        return Metrics.Compute(gold, probs, AgNewsLabels.Names);
    }

    private static List<int> TokenEnds(string line)
    {
        var ends = new List<int>();
        for (int i = 0; i < line.Length; i++)
            if (line[i] != ' ' && (i + 1 == line.Length || line[i + 1] == ' ')) ends.Add(i + 1);
        return ends;
    }

    [Fact]
    public void Renders_per_class_table_summary_and_confusion_matrix()
    {
        var r = Sample();
        var text = ReportFormatter.ToText(r);
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();

        var header = lines[0];
        Assert.Contains("precision", header);
        Assert.Contains("recall", header);
        Assert.Contains("support", header);

        // Business: predicted 3 times, 2 right -> P 0.6667, R 1.0000, F1 0.8000, support 2.
        var business = lines.First(l => l.StartsWith("Business", StringComparison.Ordinal));
        Assert.Equal(["Business", "0.6667", "1.0000", "0.8000", "2"], business.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var sciTech = lines.First(l => l.StartsWith("Sci/Tech", StringComparison.Ordinal));
        Assert.Equal(["Sci/Tech", "1.0000", "0.5000", "0.6667", "2"], sciTech.Split(' ', StringSplitOptions.RemoveEmptyEntries));

        // Columns line up: each number ends where its column header ends.
        var headerEnds = TokenEnds(header);
        foreach (var row in lines.Skip(1).Take(4))
        {
            Assert.Equal(header.Length, row.Length);
            Assert.Equal(headerEnds, TokenEnds(row).Skip(1));
        }

        Assert.Contains(lines, l => l.StartsWith("accuracy")
            && l.Contains(r.Accuracy.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Contains(lines, l => l.StartsWith("macro-F1")
            && l.Contains(r.MacroF1.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Contains(lines, l => l.StartsWith("log-loss")
            && l.Contains(r.LogLoss.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)));

        int matrixAt = lines.FindIndex(l => l.StartsWith("confusion matrix"));
        Assert.True(matrixAt > 0);
        Assert.Equal(["World", "Sports", "Business", "Sci/Tech"], lines[matrixAt + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        for (int g = 0; g < 4; g++)
        {
            var cells = lines[matrixAt + 2 + g].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(AgNewsLabels.Names[g], cells[0]);
            Assert.Equal(r.ConfusionMatrix[g].Select(c => c.ToString()), cells[1..]);
        }
        Assert.Equal(["Sci/Tech", "0", "0", "1", "1"], lines[matrixAt + 5].Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>A report over <paramref name="classes"/> classes where class c is taken for class c + 1 on c + 1 of its rows.</summary>
    private static EvaluationReport ManyClasses(int classes)
    {
        var gold = new List<int>();
        var probs = new List<float[]>();
        for (int c = 0; c < classes; c++)
            for (int k = 0; k < classes + 1; k++)
            {
                var p = new float[classes];
                p[k <= c ? (c + 1) % classes : c] = 1;
                gold.Add(c);
                probs.Add(p);
            }
        return Metrics.Compute(gold.ToArray(), probs.ToArray(), Enumerable.Range(0, classes).Select(c => $"class{c}").ToArray());
    }

    [Fact]
    public void Above_twelve_classes_the_top_confusions_replace_the_matrix()
    {
        var text = ReportFormatter.ToText(ManyClasses(ReportFormatter.MaxMatrixClasses + 1));
        Assert.DoesNotContain("confusion matrix", text);
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        int heading = lines.FindIndex(l => l.StartsWith("most frequent confusions"));
        Assert.True(heading >= 0, text);
        var rows = lines.Skip(heading + 1).TakeWhile(l => l.Length > 0).ToList();
        Assert.Equal(ReportFormatter.TopConfusions, rows.Count);
        // The largest first: class12 is taken for class0 on 13 of its rows, class11 for class12 on 12.
        Assert.Matches(@"^\s*13\s+class12\s+->\s+class0$", rows[0]);
        Assert.Matches(@"^\s*12\s+class11\s+->\s+class12$", rows[1]);
        Assert.True(lines.Max(l => l.Length) < 120, "no line as wide as a matrix of the classes");

        Assert.Contains("confusion matrix", ReportFormatter.ToText(ManyClasses(ReportFormatter.MaxMatrixClasses)));
    }
}
