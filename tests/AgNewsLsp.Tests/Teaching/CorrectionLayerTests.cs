using AgNewsLsp.Data;
using AgNewsLsp.Engine;
using AgNewsLsp.Teaching;

namespace AgNewsLsp.Tests.Teaching;

/// <summary>The correction layer: it moves what the corrections say and keeps what the head labelled, new classes included.</summary>
public class CorrectionLayerTests
{
    private static readonly string[] Three = ["World", "Sports", "Business"];

    /// <summary>A unit vector near axis <paramref name="axis"/> of 6, with a little seeded noise.</summary>
    private static float[] Near(int axis, Random random)
    {
        var v = new float[6];
        v[axis] = 1;
        for (int i = 0; i < v.Length; i++) v[i] += (float)(random.NextDouble() - 0.5) * 0.3f;
        float norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }

    private static Prediction Head(int label, float sure = 0.8f)
    {
        var p = Enumerable.Repeat((1 - sure) / 2, 3).ToArray();
        p[label] = sure;
        return new Prediction(Three[label], label, p, Three, false, 10);
    }

    /// <summary>A memory whose background is 150 texts the head labelled: topics on axes 0-2, each its own class.</summary>
    private static CorrectionMemory WithBackground(Random random, LayerSettings? layer = null)
    {
        var memory = new CorrectionMemory(new BlendSettings(0.5f, 0.8f, 0f, 1, 0.05f), layer ?? LayerSettings.Default); // the vote off: the layer alone
        var texts = Enumerable.Range(0, 150).Select(i => $"background {i}").ToArray();
        memory.Observe(texts, texts.Select((_, i) => Head(i % 3)).ToArray(), texts.Select((_, i) => Near(i % 3, random)).ToArray());
        return memory;
    }

    [Fact]
    public void Corrections_that_name_a_new_class_teach_it_where_they_are_and_nowhere_else()
    {
        var random = new Random(1);
        var memory = WithBackground(random);
        // Texts on axis 3 are about something the head does not know; it calls them Business, unsure.
        for (int i = 0; i < 20; i++) memory.Set($"film {i}", "Entertainment", Near(3, random), Head(2, 0.5f));
        Assert.True(memory.LayerSteps > 0);

        var film = memory.Apply(Head(2, 0.5f), "another film", Near(3, random));
        Assert.Equal("Entertainment", film.Label);
        Assert.Equal(4, film.LabelNames.Count);
        foreach (var axis in new[] { 0, 1, 2 })
            Assert.Equal(Three[axis], memory.Apply(Head(axis), $"news {axis}", Near(axis, random)).Label);
    }

    [Fact]
    public void The_texts_labelled_before_any_correction_are_the_background_a_new_class_is_learnt_against()
    {
        // An editor labels its open documents (lenses, hovers) before the user corrects anything: those texts must count.
        using var taught = new TaughtEngine(new Protocol.FakeLabelingEngine());
        var texts = Enumerable.Range(0, TeachingSettings.MinBackground).Select(i => $"The team won match number {i} of the season.").ToArray();
        taught.Classify(texts);
        Assert.Equal(texts.Length, taught.Teacher.Memory.BackgroundCount);
        Assert.Equal(0, taught.Teacher.Memory.Count);
    }

    [Fact]
    public void Without_enough_background_the_layer_waits_and_a_new_class_does_not_swallow_everything_then_it_is_fitted()
    {
        var random = new Random(2);
        var memory = new CorrectionMemory(new BlendSettings(0.5f, 0.8f, 0f, 1, 0.05f), LayerSettings.Default);
        for (int i = 0; i < 20; i++) memory.Set($"film {i}", "Entertainment", Near(3, random), Head(2, 0.5f));
        Assert.Equal(0, memory.LayerSteps);
        Assert.Equal("Sports", memory.Apply(Head(1), "a match", Near(1, random)).Label);

        // Once the user's other texts are there, the layer is fitted without waiting for another correction.
        int version = memory.Version;
        var texts = Enumerable.Range(0, TeachingSettings.MinBackground).Select(i => $"background {i}").ToArray();
        memory.Observe(texts, texts.Select((_, i) => Head(i % 3)).ToArray(), texts.Select((_, i) => Near(i % 3, random)).ToArray());
        Assert.True(memory.LayerSteps > 0);
        Assert.True(memory.Version > version, "labels computed before are stale");
        Assert.Equal("Entertainment", memory.Apply(Head(2, 0.5f), "another film", Near(3, random)).Label);
        Assert.Equal("Sports", memory.Apply(Head(1), "a match", Near(1, random)).Label);
    }

    [Fact]
    public void While_a_new_class_waits_for_background_the_corrections_of_the_heads_classes_still_teach()
    {
        var random = new Random(6);
        var memory = new CorrectionMemory(new BlendSettings(0.5f, 0.8f, 0f, 1, 0.05f), LayerSettings.Default);
        for (int i = 0; i < 10; i++) memory.Set($"chess {i}", "Sports", Near(4, random), Head(0, 0.6f));
        Assert.Equal("Sports", memory.Apply(Head(0, 0.6f), "more chess", Near(4, random)).Label);
        // One correction naming a class the head lacks, and no background yet: the chess corrections keep teaching.
        memory.Set("a film", "Entertainment", Near(3, random), Head(2, 0.5f));
        Assert.True(memory.LayerSteps > 0);
        Assert.Equal("Sports", memory.Apply(Head(0, 0.6f), "still chess", Near(4, random)).Label);
    }

    [Fact]
    public void Corrections_move_texts_like_them_but_not_texts_the_head_is_sure_of_elsewhere()
    {
        var random = new Random(3);
        var memory = WithBackground(random);
        // Texts on axis 4 are Sports, but the head calls them World.
        for (int i = 0; i < 10; i++) memory.Set($"chess {i}", "Sports", Near(4, random), Head(0, 0.6f));
        Assert.Equal("Sports", memory.Apply(Head(0, 0.6f), "more chess", Near(4, random)).Label);
        Assert.Equal("World", memory.Apply(Head(0, 0.9f), "an election", Near(0, random)).Label);
    }

    [Fact]
    public void Off_means_the_vote_alone_and_the_background_keeps_the_most_recent_texts_not_the_users_own()
    {
        var random = new Random(4);
        var off = WithBackground(random, new LayerSettings(0f, 0.01f, 0.1f));
        off.Set("chess", "Sports", Near(4, random), Head(0));
        Assert.Equal(0, off.LayerSteps);
        Assert.Equal(0, off.BackgroundCount);

        var memory = new CorrectionMemory();
        var texts = Enumerable.Range(0, TeachingSettings.BackgroundTexts + 5).Select(i => $"t{i}").ToArray();
        memory.Observe(texts, texts.Select(_ => Head(0)).ToArray(), texts.Select(_ => Near(0, random)).ToArray());
        Assert.Equal(TeachingSettings.BackgroundTexts, memory.BackgroundCount);
        var fresh = new CorrectionMemory();
        fresh.Observe(["mine"], [Head(1) with { ByUser = true }], [Near(1, random)]);
        Assert.Equal(0, fresh.BackgroundCount);
    }

    [Fact]
    public void The_fit_reaches_the_minimum_the_weights_at_zero_change_nothing_and_offsets_put_new_classes_at_the_prior()
    {
        var offsets = CorrectionLayer.Offsets([0.5f, 0.5f], 3, 0.01f);
        Assert.Equal([MathF.Log(0.5f), MathF.Log(0.5f), MathF.Log(0.01f)], offsets);
        var random = new Random(5);
        // A class-0 correction among class-1 corrections, the head unsure: with a strong pull the fit barely moves.
        var x = Near(0, random);
        LayerExample[] examples =
        [
            new(x, CorrectionLayer.Offsets([0.3f, 0.7f], 2, 0.01f), 0, 1f),
            .. Enumerable.Range(0, 20).Select(_ => new LayerExample(Near(1, random), CorrectionLayer.Offsets([0.2f, 0.8f], 2, 0.01f), 1, 1f)),
            // Background weighs nothing while no class is new.
            .. Enumerable.Range(0, 20).Select(_ => new LayerExample(Near(0, random), CorrectionLayer.Offsets([0.2f, 0.8f], 2, 0.01f), LayerExample.Background, 5f)),
        ];
        var strong = CorrectionLayer.Fit(examples, 2, 2, pull: 1000f);
        var weak = CorrectionLayer.Fit(examples, 2, 2, pull: 0.01f);
        float[] Moved(CorrectionLayer layer)
        {
            var p = new[] { 0.3f, 0.7f };
            layer.Apply(p, 2, x, 0.01f);
            return p;
        }
        Assert.Equal(0.3f, Moved(strong)[0], 2);
        Assert.True(Moved(weak)[0] > 0.9f, $"{Moved(weak)[0]}");
        Assert.True(weak.Steps < 1000);

        // A refit with one more correction, from the last fit, needs fewer steps than from zero.
        LayerExample[] more = [.. examples, new(Near(0, random), CorrectionLayer.Offsets([0.3f, 0.7f], 2, 0.01f), 0, 1f)];
        var cold = CorrectionLayer.Fit(more, 2, 2, pull: 0.01f);
        var warm = CorrectionLayer.Fit(more, 2, 2, pull: 0.01f, start: weak);
        Assert.True(warm.Steps < cold.Steps, $"from the last fit {warm.Steps} steps, from zero {cold.Steps}");
    }
}
