using AgNewsLsp.Features;

namespace AgNewsLsp.Tests.Features;

public class LexicalFeaturesTests
{
    private static readonly LexicalFeaturizer Featurizer = new() { Bits = 20 };

    [Fact]
    public void Words_and_bigrams_with_sublinear_counts()
    {
        var (words, _) = Featurizer.Featurize("Goal! goal, GOAL a");
        // "goal" three times (case folded, one-letter "a" is no word), "goal goal" twice.
        Assert.Equal(2, words.Count);
        Assert.Equal([1 + MathF.Log(2), 1 + MathF.Log(3)], words.Values.Order());
        Assert.True(words.Indexes.SequenceEqual(words.Indexes.Order()), "indexes are sorted");
    }

    [Fact]
    public void Character_ngrams_of_padded_words_as_char_wb()
    {
        // " ab " gives 2-grams " a", "ab", "b ", 3-grams " ab", "ab ", the 4-gram " ab ": six distinct n-grams.
        var (_, chars) = Featurizer.Featurize("ab");
        Assert.Equal(6, chars.Count);
        Assert.All(chars.Values, v => Assert.Equal(1f, v));
        // Same text, same buckets: the hash is stable across runs and processes (no randomised string hashing).
        Assert.Equal(chars.Indexes, Featurizer.Featurize("AB").Chars.Indexes);
        Assert.Equal(new LexicalFeaturizer { Bits = 20 }.Featurize("ab").Chars.Indexes, chars.Indexes);
    }

    [Fact]
    public void Buckets_stay_in_the_hashed_space_and_text_without_words_is_empty()
    {
        var small = new LexicalFeaturizer { Bits = 10 };
        var (w, c) = small.Featurize("Federer beat Nadal in straight sets to win the Wimbledon title.");
        Assert.All(w.Indexes.Concat(c.Indexes), i => Assert.InRange(i, 0, 1023));
        var (ew, ec) = small.Featurize("   ");
        Assert.Equal(0, ew.Count + ec.Count);
    }

    [Fact]
    public void Settings_this_code_cannot_compute_are_refused()
    {
        Assert.Throws<InvalidDataException>(() => new LexicalFeaturizer { Hash = "murmur3" }.Validate());
        Assert.Throws<InvalidDataException>(() => new LexicalFeaturizer { Bits = 40 }.Validate());
        new LexicalFeaturizer().Validate();
    }
}
