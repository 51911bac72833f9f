using System.Globalization;
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

    /// <summary>
    /// Heads store weights by bucket, so the featuriser must give the buckets and values it gave when they were trained.
    /// The reference below is the first, plain implementation (a dictionary per text, a substring per word, a hash per
    /// n-gram), kept here to pin the faster one to it.
    /// </summary>
    [Fact]
    public void The_featuriser_gives_the_buckets_and_values_of_the_plain_reference_implementation()
    {
        var random = new Random(5);
        const string alphabet =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_   \t\n.,;:'\"!?-()&$%éüßÇ\u0301\u00a0\u2003日本語";
        var texts = new List<string>
        {
            "", " ", "a", "ab", "Reuters - Oil prices rose on Monday.", new string('x', 300) + " y", "AT&T's U.S. deal (AP)"
        };
        for (int t = 0; t < 300; t++)
            texts.Add(new string(Enumerable.Range(0, random.Next(0, 200)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray()));
        foreach (var featurizer in new[]
            { new LexicalFeaturizer(), new LexicalFeaturizer { Bits = 12, MaxWordNgram = 3, MinCharNgram = 1, MaxCharNgram = 7 } })
            foreach (var text in texts)
            {
                var (words, chars) = featurizer.Featurize(text);
                var (refWords, refChars) = Reference(featurizer, text);
                Assert.Equal(refWords.Indexes, words.Indexes);
                Assert.Equal(refWords.Values, words.Values);
                Assert.Equal(refChars.Indexes, chars.Indexes);
                Assert.Equal(refChars.Values, chars.Values);
            }
    }

    private static (SparseRow Words, SparseRow Chars) Reference(LexicalFeaturizer f, string text)
    {
        var lower = text.ToLowerInvariant();
        var words = new Dictionary<int, int>();
        var chars = new Dictionary<int, int>();
        var tokens = new List<string>();
        int start = -1;
        for (int i = 0; i <= lower.Length; i++)
        {
            bool wordChar = i < lower.Length && (char.IsLetterOrDigit(lower[i]) || lower[i] == '_' ||
                CharUnicodeInfo.GetUnicodeCategory(lower[i]) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark);
            if (wordChar && start < 0) start = i;
            else if (!wordChar && start >= 0)
            {
                if (i - start >= 2) tokens.Add(lower[start..i]);
                start = -1;
            }
        }
        void Count(Dictionary<int, int> counts, ulong hash)
        {
            int bucket = (int)(hash & (ulong)(f.Buckets - 1));
            counts[bucket] = counts.GetValueOrDefault(bucket) + 1;
        }
        const ulong prime = 1099511628211, wordSeed = 14695981039346656037, charSeed = wordSeed ^ 0x9E3779B97F4A7C15;
        static ulong Mix(ulong h)
        {
            h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9;
            h = (h ^ (h >> 27)) * 0x94D049BB133111EB;
            return h ^ (h >> 31);
        }
        for (int n = 1; n <= f.MaxWordNgram; n++)
            for (int i = 0; i + n <= tokens.Count; i++)
            {
                ulong h = wordSeed;
                for (int k = i; k < i + n; k++)
                {
                    if (k > i) h = (h ^ ' ') * prime;
                    foreach (char c in tokens[k]) h = (h ^ c) * prime;
                }
                Count(words, Mix(h));
            }
        foreach (var word in lower.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var padded = " " + word + " ";
            for (int n = f.MinCharNgram; n <= f.MaxCharNgram; n++)
            {
                if (n > padded.Length) break;
                for (int i = 0; i + n <= padded.Length; i++)
                {
                    ulong h = charSeed;
                    foreach (char c in padded.AsSpan(i, n)) h = (h ^ c) * prime;
                    Count(chars, Mix(h));
                }
            }
        }
        static SparseRow Row(Dictionary<int, int> counts)
        {
            var indexes = counts.Keys.Order().ToArray();
            return new SparseRow(indexes, indexes.Select(i => 1 + MathF.Log(counts[i])).ToArray());
        }
        return (Row(words), Row(chars));
    }
}
