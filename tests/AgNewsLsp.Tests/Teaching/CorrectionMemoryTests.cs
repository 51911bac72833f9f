using AgNewsLsp.Data;
using AgNewsLsp.Engine;
using AgNewsLsp.Teaching;

namespace AgNewsLsp.Tests.Teaching;

/// <summary>How corrections change predictions: the user's own label, new classes, similar texts following, others untouched.</summary>
public class CorrectionMemoryTests
{
    private static Prediction Head(int index)
    {
        var p = new float[4];
        for (int i = 0; i < 4; i++) p[i] = i == index ? 0.7f : 0.1f;
        return new Prediction(AgNewsLabels.Names[index], index, p, AgNewsLabels.Names, false, 10);
    }

    private static float[] Vector(params float[] values) => values;

    [Fact]
    public void A_corrected_text_shows_the_users_label_whatever_the_head_says()
    {
        var memory = new CorrectionMemory();
        memory.Set("Oil prices rose.", "Business", Vector(1, 0, 0));
        var p = memory.Apply(Head(0), "  Oil prices rose. ", Vector(0, 1, 0));
        Assert.Equal(("Business", true), (p.Label, p.ByUser));
        Assert.Equal(1f, p.Probabilities[p.LabelIndex]);
    }

    [Fact]
    public void A_label_the_head_lacks_is_a_new_class_and_similar_texts_follow_it()
    {
        var memory = new CorrectionMemory();
        memory.Set("The film premiered in Cannes.", "Entertainment", Vector(1, 0, 0));
        Assert.Equal(["Entertainment"], memory.NewClasses(AgNewsLabels.Names));
        var similar = memory.Apply(Head(0), "The actor won an award in Cannes.", Vector(0.95f, 0.31f, 0));
        Assert.Equal(5, similar.LabelNames.Count);
        Assert.Equal("Entertainment", similar.Label);
        Assert.False(similar.ByUser);
        Assert.Equal(1f, similar.Probabilities.Sum(), 3);

        var unlike = memory.Apply(Head(2), "Shares of the bank fell.", Vector(0, 0, 1)); // similarity 0: the head's label
        Assert.Equal("Business", unlike.Label);
        Assert.Equal(0f, unlike.Probabilities[4]);
        Assert.Equal(Head(2).Probabilities, unlike.Probabilities[..4]);
    }

    [Fact]
    public void Removing_a_correction_takes_its_effect_back()
    {
        var memory = new CorrectionMemory();
        memory.Set("The film premiered in Cannes.", "Entertainment", Vector(1, 0));
        int version = memory.Version;
        Assert.True(memory.Remove("The film premiered in Cannes."));
        Assert.NotEqual(version, memory.Version);
        Assert.Same(Head(1).GetType(), memory.Apply(Head(1), "The film premiered in Cannes.", Vector(1, 0)).GetType());
        Assert.Equal("Sports", memory.Apply(Head(1), "The film premiered in Cannes.", Vector(1, 0)).Label);
    }

    [Fact]
    public void Suggestions_put_the_least_sure_first_once_per_near_duplicate_and_leave_out_the_users_labels()
    {
        Prediction P(float a, float b, bool byUser = false) =>
            new("World", 0, [a, b, (1 - a - b) / 2, (1 - a - b) / 2], AgNewsLabels.Names, false, 5) { ByUser = byUser };
        var predictions = new[] { P(0.9f, 0.05f), P(0.4f, 0.38f), P(0.41f, 0.39f), P(0.5f, 0.3f), P(0.35f, 0.34f, byUser: true) };
        var vectors = new[] { Vector(1, 0, 0), Vector(0, 1, 0), Vector(0, 1, 0.01f), Vector(0, 0, 1), Vector(1, 1, 1) };
        var ranked = Suggestions.Rank(predictions, vectors, max: 10);
        Assert.Equal([1, 3, 0], ranked.Select(s => s.Index)); // 2 is 1 again; 4 was labelled by the user
        Assert.True(ranked[0].Margin < ranked[1].Margin);
    }

    [Fact]
    public void The_blend_takes_the_most_similar_corrections_above_the_threshold_and_weighs_them_by_the_best_similarity()
    {
        var blend = new BlendSettings(minSimilarity: 0.5f, fullSimilarity: 0.9f, maxWeight: 0.8f, neighbours: 2, temperature: 1000f);
        var probabilities = new[] { 1f, 0f, 0f };
        // Below the threshold (class 2) and beyond the two nearest (the second class-1 at 0.6) do not vote.
        CorrectionMemory.BlendInto(probabilities, new (int, float)[] { (2, 0.49f), (1, 0.7f), (1, 0.6f), (0, 0.7f) }, blend);
        // The best similarity 0.7 is halfway from 0.5 to 0.9: weight 0.4; the two nearest (classes 1 and 0) share the vote.
        float vote = 0.4f * 0.5f;
        Assert.Equal(0.6f + vote, probabilities[0], 4);
        Assert.Equal(vote, probabilities[1], 4);
        Assert.Equal(0f, probabilities[2]);

        var untouched = new[] { 0.2f, 0.8f };
        CorrectionMemory.BlendInto(untouched, new (int, float)[] { (0, 0.3f) }, blend);
        Assert.Equal([0.2f, 0.8f], untouched);
    }

    [Fact]
    public void Blend_settings_are_checked_and_a_memory_uses_its_own()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlendSettings(0.8f, 0.5f, 0.5f, 4, 0.05f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlendSettings(0.5f, 0.8f, 1.5f, 4, 0.05f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlendSettings(0.5f, 0.8f, 0.5f, 0, 0.05f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlendSettings(0.5f, 0.8f, 0.5f, 4, 0f));
        Assert.Same(BlendSettings.Default, new CorrectionMemory().Blend);
        var off = new BlendSettings(0.5f, 0.8f, 0f, 4, 0.05f);
        var memory = new CorrectionMemory(off);
        memory.Set("The film premiered in Cannes.", "Sports", Vector(1, 0));
        Assert.Equal("World", memory.Apply(Head(0), "The actor won an award in Cannes.", Vector(1, 0)).Label); // weight 0: the head's label
    }
}
