using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace AgNewsLsp.Text;

/// <summary>
/// Hugging Face's BertNormalizer: drops NUL, U+FFFD and control/format characters (category C*, except tab,
/// newline and carriage return, which are white space), turns white space into ' ', surrounds CJK ideographs
/// with spaces, then strips accents (NFD, drop Mn) and lower-cases, each when asked.
/// </summary>
internal sealed class HuggingFaceBertNormalizer(bool lowerCase, bool stripAccents, bool tokenizeChineseChars) : Normalizer
{
    public override string Normalize(string original) => Normalize(original.AsSpan());

    public override string Normalize(ReadOnlySpan<char> original)
    {
        var sb = new StringBuilder(original.Length + 8);
        foreach (var rune in original.EnumerateRunes())
        {
            int cp = rune.Value;
            if (cp == 0 || cp == 0xFFFD || IsControl(rune)) continue;
            if (IsWhitespace(rune)) { sb.Append(' '); continue; }
            if (tokenizeChineseChars && IsCjk(cp)) { sb.Append(' ').Append(rune.ToString()).Append(' '); continue; }
            sb.Append(rune.ToString());
        }
        var text = sb.ToString();
        if (stripAccents)
        {
            var decomposed = text.Normalize(NormalizationForm.FormD);
            var kept = new StringBuilder(decomposed.Length);
            foreach (var rune in decomposed.EnumerateRunes())
                if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark) kept.Append(rune.ToString());
            text = kept.ToString();
        }
        if (lowerCase) text = text.ToLowerInvariant();
        return text;
    }

    private static bool IsWhitespace(Rune r) =>
        r.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(r) == UnicodeCategory.SpaceSeparator;

    private static bool IsControl(Rune r)
    {
        if (r.Value is '\t' or '\n' or '\r') return false;
        return Rune.GetUnicodeCategory(r) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.OtherNotAssigned
            or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate;
    }

    /// <summary>The CJK Unified Ideographs blocks, as Hugging Face's _is_chinese_char defines them.</summary>
    public static bool IsCjk(int cp) =>
        (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
        (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
        (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

/// <summary>
/// Hugging Face's BertPreTokenizer as a regex: runs of characters that are neither white space nor punctuation,
/// and each punctuation character alone. Punctuation is Unicode P* plus every ASCII symbol (!"#$%&amp;'()*+,-./:;&lt;=&gt;?@[\]^_`{|}~),
/// so "$", "+", "^" and the like become tokens (Microsoft.ML.Tokenizers' default word-or-punctuation split drops them).
/// </summary>
internal static partial class HuggingFaceBertPreTokenizer
{
    private const string Punct = @"\p{P}!-/:-@\[-`{-~";

    [GeneratedRegex(@"[^\s" + Punct + "]+|[" + Punct + "]", RegexOptions.CultureInvariant)]
    private static partial Regex WordOrPunctuation();

    public static PreTokenizer Create(IReadOnlyDictionary<string, int>? specialTokens) =>
        new RegexPreTokenizer(WordOrPunctuation(), specialTokens);
}
