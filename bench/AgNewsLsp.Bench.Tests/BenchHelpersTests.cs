using System.Xml.Linq;
using AgNewsLsp.Bench;
using AgNewsLsp.Native;
using static TorchSharp.torch;

namespace AgNewsLsp.Bench.Tests;

public class BenchHelpersTests
{
    [Fact]
    public void Attention_pooling_ignores_padding()
    {
        TorchRuntime.EnsureInitialized();
        TorchThread.Shared.Run(() =>
        {
            random.manual_seed(1);
            using var head = new AttentionPoolHead(hidden: 8, heads: 2, classes: 3);
            head.eval();
            using var tokens = randn(1, 3, 8);
            using var padded = cat([tokens, randn(1, 2, 8) * 100], 1);
            using var mask = tensor(new[] { true, true, true }, [1, 3]);
            using var paddedMask = tensor(new[] { true, true, true, false, false }, [1, 5]);
            using var a = head.forward(tokens, mask);
            using var b = head.forward(padded, paddedMask);
            Assert.True(a.allclose(b, rtol: 1e-5, atol: 1e-6));
            // A real token that changes does change the logits (the mask is not hiding everything).
            using var changed = tokens.clone();
            changed[0, 1] = randn(8) * 10;
            using var c = head.forward(changed, mask);
            Assert.False(a.allclose(c, rtol: 1e-5, atol: 1e-6));
        }, TorchPriority.Interactive);
    }

    [Fact]
    public void Learning_curve_svg_has_a_point_per_measurement_a_legend_entry_per_series_and_escapes_text()
    {
        var svg = Plot.LearningCurveSvg("rows < all & more",
        [
            ("linear", [(1000.0, 0.85), (10000.0, 0.88), (45578.0, 0.89)]),
            ("hybrid", [(1000.0, 0.86), (10000.0, 0.90), (45578.0, 0.915)]),
        ]);
        var doc = XDocument.Parse(svg); // well-formed XML
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(2, doc.Descendants(ns + "polyline").Count());
        var titled = doc.Descendants(ns + "circle").Where(c => c.Element(ns + "title") is not null).ToArray();
        Assert.Equal(6, titled.Length);
        Assert.Contains(titled, c => c.Element(ns + "title")!.Value == "hybrid: 45,578 rows, 91.50%");
        var texts = doc.Descendants(ns + "text").Select(t => t.Value).ToArray();
        Assert.Contains("rows < all & more", texts);
        Assert.Contains("linear", texts);
        Assert.Contains("hybrid", texts);
        // Higher accuracy is drawn higher (smaller y), more rows further right.
        double Cx(string title) => double.Parse(titled.Single(c => c.Element(ns + "title")!.Value == title).Attribute("cx")!.Value, System.Globalization.CultureInfo.InvariantCulture);
        double Cy(string title) => double.Parse(titled.Single(c => c.Element(ns + "title")!.Value == title).Attribute("cy")!.Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Cy("hybrid: 45,578 rows, 91.50%") < Cy("linear: 45,578 rows, 89.00%"));
        Assert.True(Cx("linear: 10,000 rows, 88.00%") > Cx("linear: 1,000 rows, 85.00%"));
    }
}
