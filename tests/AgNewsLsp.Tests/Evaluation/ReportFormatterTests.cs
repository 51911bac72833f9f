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

        Assert.Contains(lines, l => l.StartsWith("accuracy") && l.Contains(r.Accuracy.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Contains(lines, l => l.StartsWith("macro-F1") && l.Contains(r.MacroF1.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Contains(lines, l => l.StartsWith("log-loss") && l.Contains(r.LogLoss.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)));

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
}
