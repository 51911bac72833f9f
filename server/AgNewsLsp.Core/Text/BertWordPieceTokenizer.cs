using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace AgNewsLsp.Text;

/// <summary>
/// How text is normalised before WordPiece, as in Hugging Face's BertTokenizer / tokenizer_config.json.
/// <see cref="StripAccents"/> null follows <see cref="LowerCase"/> (Hugging Face's rule).
/// </summary>
public sealed record BertTokenizerSettings(bool LowerCase = true, bool? StripAccents = null, bool TokenizeChineseChars = true)
{
    /// <summary>Whether accents are stripped (NFD, non-spacing marks dropped) after resolving the null default.</summary>
    public bool EffectiveStripAccents => StripAccents ?? LowerCase;

    /// <summary>bert-base-uncased: lower case, strip accents, split CJK characters.</summary>
    public static BertTokenizerSettings Uncased { get; } = new(true, null, true);

    /// <summary>bert-base-cased: keep case and accents.</summary>
    public static BertTokenizerSettings Cased { get; } = new(false, null, true);
}

/// <summary>
/// The ids of one text: [CLS] wordpieces [SEP], at most the requested number of tokens.
/// <see cref="TokenCount"/> is the length the text would have had untruncated (specials included).
/// </summary>
public sealed record EncodedText(int[] Ids, bool Truncated, int TokenCount)
{
    public int Length => Ids.Length;
}

/// <summary>
/// WordPiece tokenization for BERT models over Microsoft.ML.Tokenizers' BertTokenizer, configured to match
/// Hugging Face's BertTokenizer (basic tokenization, lower casing and accent stripping as configured).
/// Immutable and safe to share between threads.
/// </summary>
public sealed class BertWordPieceTokenizer
{
    private readonly BertTokenizer _tokenizer;
    private readonly string[] _vocab;
    private readonly (string Token, int Id)[] _specialTokens;

    public BertTokenizerSettings Settings { get; }
    public int VocabSize => _vocab.Length;
    public int ClsId { get; }
    public int SepId { get; }
    public int PadId { get; }
    public int UnkId { get; }
    public int MaskId { get; }

    private BertWordPieceTokenizer(string[] vocab, BertTokenizerSettings settings, SpecialTokens specials)
    {
        if (vocab.Length == 0) throw new ArgumentException("The vocab is empty.", nameof(vocab));
        _vocab = vocab;
        Settings = settings;
        var index = new Dictionary<string, int>(vocab.Length, StringComparer.Ordinal);
        for (int i = 0; i < vocab.Length; i++) index.TryAdd(vocab[i], i);
        int Id(string token) => index.TryGetValue(token, out var id)
            ? id
            : throw new ArgumentException($"The vocab has no special token '{token}'.", nameof(vocab));
        ClsId = Id(specials.Cls);
        SepId = Id(specials.Sep);
        PadId = Id(specials.Pad);
        UnkId = Id(specials.Unk);
        MaskId = index.TryGetValue(specials.Mask, out var mask) ? mask : -1;
        _specialTokens = new[]
            {
                (specials.Unk, UnkId), (specials.Cls, ClsId), (specials.Sep, SepId), (specials.Pad, PadId), (specials.Mask, MaskId)
            }
            .Where(t => t.Item2 >= 0).Distinct().ToArray();

        var options = new BertOptions
        {
            LowerCaseBeforeTokenization = settings.LowerCase,
            RemoveNonSpacingMarks = settings.EffectiveStripAccents,
            IndividuallyTokenizeCjk = settings.TokenizeChineseChars,
            ApplyBasicTokenization = true,
            // Special tokens written in the text are split out here, before normalisation, as Hugging Face does.
            SplitOnSpecialTokens = false,
            // Microsoft.ML.Tokenizers' own normalizer and pre-tokenizer differ from Hugging Face's on ASCII symbols
            // ("$", "+", "^" are dropped instead of kept) and on format characters (U+00AD splits instead of
            // vanishing); these two reproduce Hugging Face's BertNormalizer and BertPreTokenizer.
            Normalizer = new HuggingFaceBertNormalizer(settings.LowerCase, settings.EffectiveStripAccents, settings.TokenizeChineseChars),
            PreTokenizer = HuggingFaceBertPreTokenizer.Create(null),
        };
        // BertTokenizer reads a vocab file; hand it the tokens one a line from memory.
        var bytes = Encoding.UTF8.GetBytes(string.Join("\n", vocab) + "\n");
        using var stream = new MemoryStream(bytes, writable: false);
        _tokenizer = BertTokenizer.Create(stream, options);
    }

    /// <summary>From tokens in id order (e.g. the lines of vocab.txt).</summary>
    public static BertWordPieceTokenizer FromVocab(IReadOnlyList<string> tokens, BertTokenizerSettings? settings = null) =>
        new(tokens.ToArray(), settings ?? BertTokenizerSettings.Uncased, SpecialTokens.Default);

    /// <summary>From a vocab.txt (one token a line, id = line index).</summary>
    public static BertWordPieceTokenizer FromVocabFile(string vocabPath, BertTokenizerSettings? settings = null) =>
        new(ReadVocabFile(vocabPath), settings ?? BertTokenizerSettings.Uncased, SpecialTokens.Default);

    /// <summary>
    /// From a Hugging Face checkpoint folder: vocab.txt, and tokenizer_config.json when present
    /// (do_lower_case, default true; strip_accents, default null = follow do_lower_case; tokenize_chinese_chars,
    /// default true; unk/cls/sep/pad/mask tokens).
    /// </summary>
    public static BertWordPieceTokenizer FromCheckpoint(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"No such checkpoint folder: {folder}");
        var vocab = ReadVocabFile(Path.Combine(folder, "vocab.txt"));
        var settings = BertTokenizerSettings.Uncased;
        var specials = SpecialTokens.Default;
        var configPath = Path.Combine(folder, "tokenizer_config.json");
        if (File.Exists(configPath))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
                var root = doc.RootElement;
                settings = new BertTokenizerSettings(
                    LowerCase: ReadBool(root, "do_lower_case") ?? true,
                    StripAccents: ReadBool(root, "strip_accents"),
                    TokenizeChineseChars: ReadBool(root, "tokenize_chinese_chars") ?? true);
                specials = new SpecialTokens(
                    ReadToken(root, "unk_token") ?? specials.Unk,
                    ReadToken(root, "cls_token") ?? specials.Cls,
                    ReadToken(root, "sep_token") ?? specials.Sep,
                    ReadToken(root, "pad_token") ?? specials.Pad,
                    ReadToken(root, "mask_token") ?? specials.Mask);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{configPath} is not valid JSON: {e.Message}", e);
            }
        }
        return new BertWordPieceTokenizer(vocab, settings, specials);
    }

    public static string[] ReadVocabFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No such vocab file: {path}", path);
        var lines = File.ReadAllText(path, Encoding.UTF8).Replace("\r\n", "\n").Split('\n');
        return lines.Length > 0 && lines[^1].Length == 0 ? lines[..^1] : lines;
    }

    /// <summary>The token string of an id, or null when out of range.</summary>
    public string? IdToToken(int id) => id >= 0 && id < _vocab.Length ? _vocab[id] : null;

    /// <summary>The wordpiece ids of a text, without [CLS]/[SEP] and without truncation.</summary>
    /// <remarks>
    /// Special tokens written literally in the text ("[SEP]", "[MASK]", case-sensitive) map to their ids, as in Hugging Face.
    /// </remarks>
    public IReadOnlyList<int> WordPieceIds(string text)
    {
        text ??= "";
        var ids = new List<int>(text.Length / 4 + 4);
        int start = 0;
        while (start < text.Length)
        {
            var (at, special) = NextSpecialToken(text, start);
            var segment = text.AsSpan(start, (at < 0 ? text.Length : at) - start);
            if (!segment.IsEmpty) ids.AddRange(_tokenizer.EncodeToIds(segment.ToString(), addSpecialTokens: false));
            if (at < 0) break;
            ids.Add(special.Id);
            start = at + special.Token.Length;
        }
        return ids;
    }

    private (int At, (string Token, int Id) Special) NextSpecialToken(string text, int start)
    {
        int best = -1;
        (string Token, int Id) found = ("", -1);
        if (text.IndexOf('[', start) < 0) return (-1, found);
        foreach (var special in _specialTokens)
        {
            int at = text.IndexOf(special.Token, start, StringComparison.Ordinal);
            if (at >= 0 && (best < 0 || at < best || (at == best && special.Token.Length > found.Token.Length)))
            {
                best = at;
                found = special;
            }
        }
        return (best, found);
    }

    /// <summary>The wordpiece strings of a text, without specials (e.g. "claw", "##s").</summary>
    public IReadOnlyList<string> Tokenize(string text) =>
        WordPieceIds(text).Select(id => _vocab[id]).ToList();

    /// <summary>
    /// [CLS] wordpieces [SEP], keeping the first <c>maxTokens - 2</c> wordpieces when the text is longer.
    /// </summary>
    public EncodedText Encode(string text, int maxTokens = 512)
    {
        if (maxTokens < 2)
            throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens,
                "maxTokens must leave room for [CLS] and [SEP] (at least 2).");
        var pieces = WordPieceIds(text);
        int keep = Math.Min(pieces.Count, maxTokens - 2);
        var ids = new int[keep + 2];
        ids[0] = ClsId;
        for (int i = 0; i < keep; i++) ids[i + 1] = pieces[i];
        ids[^1] = SepId;
        return new EncodedText(ids, keep < pieces.Count, pieces.Count + 2);
    }

    /// <summary>Encodes each text independently (no padding); order is kept.</summary>
    public IReadOnlyList<EncodedText> EncodeBatch(IReadOnlyList<string> texts, int maxTokens = 512)
    {
        var result = new EncodedText[texts.Count];
        for (int i = 0; i < texts.Count; i++) result[i] = Encode(texts[i], maxTokens);
        return result;
    }

    /// <summary>Pads encoded texts to the longest one with [PAD]: ids and attention mask, row-major [count, width].</summary>
    /// <param name="minWidth">Pad to at least this many tokens (a fixed-shape batch's width), else to the longest text.</param>
    public (long[] Ids, long[] AttentionMask, int Width) Pad(IReadOnlyList<EncodedText> batch, int minWidth = 0)
    {
        int width = Math.Max(minWidth, batch.Count == 0 ? 0 : batch.Max(e => e.Length));
        var ids = new long[batch.Count * width];
        var mask = new long[batch.Count * width];
        for (int r = 0; r < batch.Count; r++)
            for (int c = 0; c < width; c++)
            {
                bool real = c < batch[r].Length;
                ids[r * width + c] = real ? batch[r].Ids[c] : PadId;
                mask[r * width + c] = real ? 1 : 0;
            }
        return (ids, mask, width);
    }

    private static bool? ReadBool(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v)
            ? v.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Null => null,
                _ => throw new InvalidDataException($"tokenizer_config.json: {name} must be true, false or null, not {v}"),
            }
            : null;

    private static string? ReadToken(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v)) return null;
        if (v.ValueKind == JsonValueKind.String) return v.GetString();
        if (v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String)
            return c.GetString();
        return null;
    }

    private sealed record SpecialTokens(string Unk, string Cls, string Sep, string Pad, string Mask)
    {
        public static SpecialTokens Default { get; } = new("[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]");
    }
}
