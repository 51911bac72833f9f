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
        if (Hash != HashName)
            throw new InvalidDataException($"The head's n-grams were hashed with '{Hash}'; this version computes '{HashName}'.");
        if (Bits is < 10 or > 24)
            throw new InvalidDataException($"The head's hashed space has 2^{Bits} buckets; 2^10 to 2^24 are supported.");
        if (MaxWordNgram is < 1 or > 3 || MinCharNgram < 1 || MaxCharNgram < MinCharNgram || MaxCharNgram > 8)
            throw new InvalidDataException(
                $"The head's n-gram ranges (words 1-{MaxWordNgram}, characters {MinCharNgram}-{MaxCharNgram}) are not supported.");
    }

    public int Buckets => 1 << Bits;

    /// <summary>The word part and the character part of one text.</summary>
    /// <remarks>
    /// Training featurises every text on each run, so this path avoids per-n-gram work: words are spans of the
    /// lower-cased text, not substrings; a character n-gram's hash extends the hash of the n-gram one shorter at the same
    /// start (FNV-1a is sequential), so each start costs one step per length; buckets are collected and sorted, then
    /// counted in runs, instead of a dictionary.
    /// </remarks>
    public (SparseRow Words, SparseRow Chars) Featurize(string text)
    {
        var lower = text.ToLowerInvariant();
        int mask = Buckets - 1;
        var tokens = WordTokens(lower);
        var words = new List<int>(tokens.Count * MaxWordNgram);
        for (int n = 1; n <= MaxWordNgram; n++)
            for (int i = 0; i + n <= tokens.Count; i++)
                words.Add((int)(HashWords(lower, tokens, i, n) & (ulong)mask));

        var chars = new List<int>(lower.Length * (MaxCharNgram - MinCharNgram + 1));
        Span<char> padded = stackalloc char[PaddedStackLimit];
        int start = -1;
        for (int i = 0; i <= lower.Length; i++)
        {
            bool space = i == lower.Length || char.IsWhiteSpace(lower[i]); // string.Split(null)'s separators
            if (!space && start < 0) start = i;
            else if (space && start >= 0)
            {
                var word = lower.AsSpan(start, i - start);
                var buffer = word.Length + 2 <= padded.Length ? padded[..(word.Length + 2)] : new char[word.Length + 2];
                buffer[0] = ' ';
                word.CopyTo(buffer[1..]);
                buffer[^1] = ' ';
                CharNgrams(buffer, chars, mask);
                start = -1;
            }
        }
        return (ToRow(words), ToRow(chars));
    }

    private const int PaddedStackLimit = 256;

    /// <summary>Every n-gram of MinCharNgram..MaxCharNgram characters of one padded word.</summary>
    private void CharNgrams(ReadOnlySpan<char> padded, List<int> into, int mask)
    {
        for (int i = 0; i + MinCharNgram <= padded.Length; i++)
        {
            ulong h = CharSeed;
            int longest = Math.Min(MaxCharNgram, padded.Length - i);
            for (int n = 1; n <= longest; n++)
            {
                h = (h ^ padded[i + n - 1]) * FnvPrime;
                if (n >= MinCharNgram) into.Add((int)(Mix(h) & (ulong)mask));
            }
        }
    }

    /// <summary>Sorted distinct buckets with 1 + ln(count).</summary>
    private static SparseRow ToRow(List<int> buckets)
    {
        var sorted = buckets.ToArray();
        Array.Sort(sorted);
        int distinct = 0;
        for (int k = 0; k < sorted.Length; k++)
            if (k == 0 || sorted[k] != sorted[k - 1]) distinct++;
        var indexes = new int[distinct];
        var values = new float[distinct];
        for (int k = 0, d = -1; k < sorted.Length; k++)
        {
            if (k == 0 || sorted[k] != sorted[k - 1]) indexes[++d] = sorted[k];
            values[d] += 1;
        }
        for (int d = 0; d < distinct; d++) values[d] = 1 + MathF.Log(values[d]);
        return new SparseRow(indexes, values);
    }

    /// <summary>Runs of two or more letters, digits or underscores (scikit-learn's default token pattern), as (start, length).</summary>
    private static List<(int Start, int Length)> WordTokens(string lower)
    {
        var tokens = new List<(int, int)>();
        int start = -1;
        for (int i = 0; i <= lower.Length; i++)
        {
            bool wordChar = i < lower.Length && IsWordChar(lower[i]);
            if (wordChar && start < 0) start = i;
            else if (!wordChar && start >= 0)
            {
                if (i - start >= 2) tokens.Add((start, i - start));
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

    private static ulong HashWords(string lower, List<(int Start, int Length)> tokens, int first, int n)
    {
        ulong h = WordSeed;
        for (int k = first; k < first + n; k++)
        {
            if (k > first) h = (h ^ ' ') * FnvPrime;
            foreach (char c in lower.AsSpan(tokens[k].Start, tokens[k].Length)) h = (h ^ c) * FnvPrime;
        }
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
