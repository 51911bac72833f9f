using System.Globalization;
using System.Text.Json.Serialization;

namespace AgNewsLsp.Features;

/// <summary>A sparse row: bucket indexes in increasing order and their values.</summary>
public readonly record struct SparseRow(int[] Indexes, float[] Values)
{
    public int Count => Indexes.Length;
}

/// <summary>
/// Lexical features of a text in a hashed space (the hashing trick of fastText and Vowpal Wabbit, so a head
/// needs no vocabulary file): word unigrams and bigrams, and character n-grams of each word padded with a
/// space (scikit-learn's "char_wb"). Values are sublinear term frequencies, 1 + ln(count); the word part and
/// the character part are returned apart so a head can weight (idf) and normalise each. Texts are lower-cased;
/// words are runs of two or more letters or digits, as scikit-learn's default token pattern.
/// </summary>
public sealed record LexicalFeaturizer
{
    /// <summary>The hash function below; a head made with another one is refused, since its buckets mean other n-grams.</summary>
    public const string HashName = "fnv1a-splitmix64";

    [JsonPropertyName("hash")] public string Hash { get; init; } = HashName;
    /// <summary>The hashed space has 2^Bits buckets, shared by word and character n-grams.</summary>
    [JsonPropertyName("bits")] public int Bits { get; init; } = 18;
    [JsonPropertyName("maxWordNgram")] public int MaxWordNgram { get; init; } = 2;
    [JsonPropertyName("minCharNgram")] public int MinCharNgram { get; init; } = 2;
    [JsonPropertyName("maxCharNgram")] public int MaxCharNgram { get; init; } = 5;

    /// <summary>Refuses settings this code cannot compute (a head file from elsewhere, or a future version).</summary>
    public void Validate()
    {
        if (Hash != HashName) throw new InvalidDataException($"The head's n-grams were hashed with '{Hash}'; this version computes '{HashName}'.");
        if (Bits is < 10 or > 24) throw new InvalidDataException($"The head's hashed space has 2^{Bits} buckets; 2^10 to 2^24 are supported.");
        if (MaxWordNgram is < 1 or > 3 || MinCharNgram < 1 || MaxCharNgram < MinCharNgram || MaxCharNgram > 8)
            throw new InvalidDataException($"The head's n-gram ranges (words 1-{MaxWordNgram}, characters {MinCharNgram}-{MaxCharNgram}) are not supported.");
    }

    public int Buckets => 1 << Bits;

    /// <summary>The word part and the character part of one text.</summary>
    public (SparseRow Words, SparseRow Chars) Featurize(string text)
    {
        var lower = text.ToLowerInvariant();
        var words = new Dictionary<int, int>();
        var chars = new Dictionary<int, int>();
        var tokens = WordTokens(lower);
        for (int n = 1; n <= MaxWordNgram; n++)
            for (int i = 0; i + n <= tokens.Count; i++)
                Count(words, HashWords(tokens, i, n));
        foreach (var word in lower.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var padded = " " + word + " ";
            for (int n = MinCharNgram; n <= MaxCharNgram; n++)
            {
                if (n > padded.Length) break;
                for (int i = 0; i + n <= padded.Length; i++)
                    Count(chars, HashChars(padded.AsSpan(i, n)));
            }
        }
        return (ToRow(words), ToRow(chars));
    }

    private void Count(Dictionary<int, int> counts, ulong hash)
    {
        int bucket = (int)(hash & (ulong)(Buckets - 1));
        counts[bucket] = counts.GetValueOrDefault(bucket) + 1;
    }

    private static SparseRow ToRow(Dictionary<int, int> counts)
    {
        var indexes = counts.Keys.ToArray();
        Array.Sort(indexes);
        var values = new float[indexes.Length];
        for (int k = 0; k < indexes.Length; k++) values[k] = 1 + MathF.Log(counts[indexes[k]]);
        return new SparseRow(indexes, values);
    }

    /// <summary>Runs of two or more letters, digits or underscores (scikit-learn's default token pattern).</summary>
    private static List<string> WordTokens(string lower)
    {
        var tokens = new List<string>();
        int start = -1;
        for (int i = 0; i <= lower.Length; i++)
        {
            bool wordChar = i < lower.Length && IsWordChar(lower[i]);
            if (wordChar && start < 0) start = i;
            else if (!wordChar && start >= 0)
            {
                if (i - start >= 2) tokens.Add(lower[start..i]);
                start = -1;
            }
        }
        return tokens;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_' ||
        CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;

    // FNV-1a over UTF-16 code units; word n-grams and character n-grams start from different seeds so "ab" the
    // word and "ab" the character pair land in different buckets.
    private const ulong FnvPrime = 1099511628211;
    private const ulong WordSeed = 14695981039346656037;
    private const ulong CharSeed = WordSeed ^ 0x9E3779B97F4A7C15;

    private static ulong HashWords(List<string> tokens, int start, int n)
    {
        ulong h = WordSeed;
        for (int k = start; k < start + n; k++)
        {
            if (k > start) h = (h ^ ' ') * FnvPrime;
            foreach (char c in tokens[k]) h = (h ^ c) * FnvPrime;
        }
        return Mix(h);
    }

    private static ulong HashChars(ReadOnlySpan<char> gram)
    {
        ulong h = CharSeed;
        foreach (char c in gram) h = (h ^ c) * FnvPrime;
        return Mix(h);
    }

    /// <summary>FNV's low bits are weak; a final avalanche (splitmix64's) spreads them before masking.</summary>
    private static ulong Mix(ulong h)
    {
        h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9;
        h = (h ^ (h >> 27)) * 0x94D049BB133111EB;
        return h ^ (h >> 31);
    }
}
