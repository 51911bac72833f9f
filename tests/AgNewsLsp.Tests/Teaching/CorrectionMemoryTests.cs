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
}
