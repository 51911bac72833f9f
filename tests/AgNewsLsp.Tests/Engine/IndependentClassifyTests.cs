using AgNewsLsp.Engine;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Tests.Engine;

/// <summary>
/// ClassifyIndependently, which folder labelling uses: a text's probabilities are the same to the bit whichever texts share
/// the call, as a folder labelled in shards needs (docs/scale-out.md). With the embedded model and the shipped head.
/// </summary>
public class IndependentClassifyTests
{
    private static readonly string[] Texts =
        File.ReadLines(TestPaths.AgNewsTest).Take(400).Select(l => l.Split("\",\"")[1] + ".").ToArray();

    [Theory]
    [InlineData(Precision.Fp32)]
    [InlineData(Precision.Bf16)]
    public async Task A_texts_probabilities_do_not_depend_on_the_texts_classified_with_it(Precision precision)
    {
        using var engine = await LabelingEngine.CreateAsync(new EngineSettings
        {
            CacheRoot = TestPaths.TestCache, HeadPath = LabelingEngine.ShippedHeadPath, Precision = precision,
        });
        string[] probes = [Texts[0], Texts[1] + " " + Texts[2], Texts[3] + " " + Texts[4] + " " + Texts[5]]; // short, middle, long
        var alone = probes.Select(p => engine.ClassifyIndependently([p])[0]).ToArray();
        IEnumerable<string[]> Companies()
        {
            yield return [.. Texts.Skip(10).Take(5), .. probes]; // few others
            yield return [.. probes, .. Texts.Skip(20).Take(300)]; // many, first
            yield return [.. Texts.Skip(100).Take(150), probes[2], .. Texts.Skip(300).Take(40), probes[0], probes[1]]; // others, elsewhere
            yield return [.. Texts.Skip(30).Select((t, i) => i % 2 == 0 ? t + " " + t : t).Take(200), .. probes]; // longer others
        }
        foreach (var company in Companies())
        {
            var predictions = engine.ClassifyIndependently(company);
            foreach (var (probe, expected) in probes.Zip(alone))
                Assert.Equal(expected.Probabilities, predictions[Array.IndexOf(company, probe)].Probabilities);
        }
    }
}
