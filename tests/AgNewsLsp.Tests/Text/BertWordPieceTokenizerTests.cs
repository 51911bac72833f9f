using AgNewsLsp.Model;
using AgNewsLsp.Text;

namespace AgNewsLsp.Tests.Text;

public sealed class VocabFixture
{
    public string[] Vocab { get; } = EmbeddedPackage.Locate().ReadVocab();
}

public class BertWordPieceTokenizerTests(VocabFixture fixture) : IClassFixture<VocabFixture>
{
    /// <summary>The first AG News train text (Hugging Face's ag_news: title + " " + description), with its literal backslash.</summary>
    public const string FirstTrainText =
        "Wall St. Bears Claw Back Into the Black (Reuters) Reuters - Short-sellers, " +
        "Wall Street's dwindling\\band of ultra-cynics, are seeing green again.";

    /// <summary>Hugging Face bert-base-uncased ids of <see cref="FirstTrainText"/>.</summary>
    public static readonly int[] FirstTrainIds =
    [
        101, 2813, 2358, 1012, 6468, 15020, 2067, 2046, 1996, 2304, 1006, 26665, 1007, 26665, 1011, 2460, 1011, 19041,
        1010, 2813, 2395, 1005, 1055, 1040, 11101, 2989, 1032, 2316, 1997, 11087, 1011, 22330, 8713, 2015, 1010, 2024,
        3773, 2665, 2153, 1012, 102,
    ];

    private const string Accented = "Café owners in Zürich protest new rules";

    private BertWordPieceTokenizer Uncased() => BertWordPieceTokenizer.FromVocab(fixture.Vocab);

    [Fact]
    public void Reproduces_hugging_face_ids_for_the_first_ag_news_text()
    {
        var encoded = Uncased().Encode(FirstTrainText);
        Assert.Equal(FirstTrainIds, encoded.Ids);
        Assert.False(encoded.Truncated);
        Assert.Equal(41, encoded.TokenCount);
    }

    [Fact]
    public void Uncased_strips_accents_like_hugging_face()
    {
        var tokenizer = Uncased();
        Assert.True(tokenizer.Settings.EffectiveStripAccents);
        Assert.Equal([101, 7668, 5608, 1999, 10204, 6186, 2047, 3513, 102], tokenizer.Encode(Accented).Ids);
        Assert.Equal(["cafe", "owners", "in", "zurich", "protest", "new", "rules"], tokenizer.Tokenize(Accented));
    }

    [Fact]
    public void Without_accent_stripping_accented_words_are_unknown()
    {
        var tokenizer = BertWordPieceTokenizer.FromVocab(fixture.Vocab, new BertTokenizerSettings(LowerCase: true, StripAccents: false));
        Assert.False(tokenizer.Settings.EffectiveStripAccents);
        // The ids in shared/fixtures/minilm-onnxruntime-reference.json for this text.
        Assert.Equal([101, 100, 5608, 1999, 100, 6186, 2047, 3513, 102], tokenizer.Encode(Accented).Ids);
    }

    [Theory]
    [InlineData("The Yankees beat the Red Sox 5-3 in extra innings.",
        new[] { 101, 1996, 11081, 3786, 1996, 2417, 9175, 1019, 1011, 1017, 1999, 4469, 7202, 1012, 102 })]
    [InlineData("a", new[] { 101, 1037, 102 })]
    [InlineData("", new[] { 101, 102 })]
    [InlineData("   \n\t ", new[] { 101, 102 })]
    public void Matches_reference_ids(string text, int[] expected) =>
        Assert.Equal(expected, Uncased().Encode(text).Ids);

    [Fact]
    public void Splits_words_into_wordpieces_and_ascii_symbols_into_punctuation()
    {
        var tokenizer = Uncased();
        Assert.Equal(["d", "##wind", "##ling"], tokenizer.Tokenize("dwindling"));
        Assert.Equal(["a", "$", "b", "^", "c", "`", "d", "~", "e", "\\", "f"], tokenizer.Tokenize("a$b^c`d~e\\f"));
        Assert.Equal(["hello", "world"], tokenizer.Tokenize("HELLO\tWorld"));
        // bert-base-uncased ids of the ASCII symbols Hugging Face keeps as tokens.
        Assert.Equal([1002, 1009, 1027, 1026, 1028, 1064], tokenizer.WordPieceIds("$+=<>|"));
    }

    [Fact]
    public void Drops_control_and_format_characters_like_hugging_face()
    {
        var tokenizer = Uncased();
        // NUL, U+FFFD and the soft hyphen (a format character) vanish; they do not split words.
        Assert.Equal(["bc", "ab", "cd"], tokenizer.Tokenize("b\u0000c a\u00ADb c\uFFFDd"));
        // A no-break space is white space.
        Assert.Equal(["new", "york"], tokenizer.Tokenize("New\u00A0York"));
    }

    [Fact]
    public void Special_tokens_written_in_the_text_keep_their_ids()
    {
        var tokenizer = Uncased();
        Assert.Equal([7592, 102, 1060], tokenizer.WordPieceIds("hello [SEP] x"));
        Assert.Equal([7592, 103, 1060], tokenizer.WordPieceIds("hello[MASK]x"));
        // Matching is case-sensitive, as for Hugging Face's added tokens: "[sep]" is ordinary text.
        Assert.Equal(["[", "sep", "]"], tokenizer.Tokenize("[sep]"));
    }

    [Fact]
    public void Encodes_every_ag_news_test_text_within_bounds()
    {
        var tokenizer = Uncased();
        var data = AgNewsLsp.Data.LabeledDataReader.ReadFile(TestPaths.AgNewsTest);
        var encoded = tokenizer.EncodeBatch(data.Rows.Select(r => r.Text).ToList(), 128);
        Assert.Equal(data.Count, encoded.Count);
        Assert.All(encoded, e =>
        {
            Assert.InRange(e.Length, 3, 128);
            Assert.Equal(e.TokenCount > 128, e.Truncated);
            Assert.Equal(101, e.Ids[0]);
            Assert.Equal(102, e.Ids[^1]);
            Assert.All(e.Ids, id => Assert.InRange(id, 0, tokenizer.VocabSize - 1));
        });
        // Most AG News texts are short; some need truncation at 128.
        Assert.InRange(encoded.Count(e => e.Truncated), 1, data.Count / 10);
    }

    [Fact]
    public void Splits_cjk_characters_only_when_asked()
    {
        var split = Uncased().Tokenize("中文");
        Assert.Equal(["中", "文"], split);
        var joined = BertWordPieceTokenizer.FromVocab(fixture.Vocab, new BertTokenizerSettings(TokenizeChineseChars: false))
            .Tokenize("中文");
        Assert.NotEqual(split, joined);
    }

    [Fact]
    public void Cased_settings_keep_case()
    {
        var cased = BertWordPieceTokenizer.FromVocab(fixture.Vocab, BertTokenizerSettings.Cased);
        var uncased = Uncased();
        Assert.Equal(uncased.Encode("wall street").Ids, cased.Encode("wall street").Ids);
        Assert.NotEqual(uncased.Encode("Wall Street").Ids, cased.Encode("Wall Street").Ids);
        Assert.False(BertTokenizerSettings.Cased.EffectiveStripAccents);
    }

    [Fact]
    public void Exposes_vocab_size_and_special_ids()
    {
        var t = Uncased();
        Assert.Equal(30522, t.VocabSize);
        Assert.Equal(101, t.ClsId);
        Assert.Equal(102, t.SepId);
        Assert.Equal(0, t.PadId);
        Assert.Equal(100, t.UnkId);
        Assert.Equal(103, t.MaskId);
        Assert.Equal("[CLS]", t.IdToToken(t.ClsId));
        Assert.Equal("##ling", t.IdToToken(2989));
        Assert.Null(t.IdToToken(30522));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(10)]
    [InlineData(40)]
    public void Truncates_to_max_tokens_keeping_the_first_wordpieces(int maxTokens)
    {
        var encoded = Uncased().Encode(FirstTrainText, maxTokens);
        Assert.Equal(maxTokens, encoded.Length);
        Assert.True(encoded.Truncated);
        Assert.Equal(41, encoded.TokenCount);
        Assert.Equal(101, encoded.Ids[0]);
        Assert.Equal(102, encoded.Ids[^1]);
        Assert.Equal(FirstTrainIds[1..(maxTokens - 1)], encoded.Ids[1..^1]);
    }

    [Fact]
    public void Does_not_truncate_when_the_text_fits_exactly()
    {
        var encoded = Uncased().Encode(FirstTrainText, 41);
        Assert.False(encoded.Truncated);
        Assert.Equal(FirstTrainIds, encoded.Ids);
    }

    [Fact]
    public void Rejects_a_max_that_leaves_no_room_for_specials() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Uncased().Encode("a", 1));

    [Fact]
    public void Batch_encoding_equals_one_by_one_and_pads_with_mask()
    {
        var t = Uncased();
        string[] texts = [FirstTrainText, "a", Accented];
        var batch = t.EncodeBatch(texts, 16);
        Assert.Equal(3, batch.Count);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(t.Encode(texts[i], 16), batch[i], new EncodedComparer());

        var (ids, mask, width) = t.Pad(batch);
        Assert.Equal(16, width);
        Assert.Equal(3 * 16, ids.Length);
        // Row 1 is "a": [CLS] a [SEP] then padding.
        Assert.Equal([101L, 1037, 102, 0, 0], ids[16..21]);
        Assert.Equal([1L, 1, 1, 0, 0], mask[16..21]);
        Assert.Equal(batch.Sum(e => e.Length), mask.Sum());
    }

    private sealed class EncodedComparer : IEqualityComparer<EncodedText>
    {
        public bool Equals(EncodedText? x, EncodedText? y) =>
            x is not null && y is not null && x.Ids.SequenceEqual(y.Ids) && x.Truncated == y.Truncated && x.TokenCount == y.TokenCount;
        public int GetHashCode(EncodedText obj) => obj.Ids.Length;
    }

    [Fact]
    public void Concurrent_encoding_gives_the_same_ids_as_sequential()
    {
        var t = Uncased();
        var texts = AgNewsLsp.Data.LabeledDataReader.ReadFile(TestPaths.AgNewsTest, new AgNewsLsp.Data.DataReadOptions(Limit: 2000))
            .Rows.Select(r => r.Text).ToArray();
        var sequential = texts.Select(x => t.Encode(x, 64).Ids).ToArray();
        var parallel = new int[texts.Length][];
        Parallel.For(0, texts.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i] = t.Encode(texts[i], 64).Ids);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(sequential[i], parallel[i]);
    }

    [Fact]
    public void Loads_from_a_vocab_file()
    {
        using var dir = new TempFolder();
        var path = dir.File("vocab.txt", string.Join("\r\n", fixture.Vocab) + "\r\n");
        var t = BertWordPieceTokenizer.FromVocabFile(path);
        Assert.Equal(30522, t.VocabSize);
        Assert.Equal(FirstTrainIds, t.Encode(FirstTrainText).Ids);
        Assert.Throws<FileNotFoundException>(() => BertWordPieceTokenizer.FromVocabFile(dir.Combine("missing.txt")));
    }

    [Theory]
    [InlineData(null, new[] { 101, 7668, 5608, 1999, 10204, 6186, 2047, 3513, 102 })]
    [InlineData("""{"do_lower_case": true, "strip_accents": null, "tokenize_chinese_chars": true}""",
        new[] { 101, 7668, 5608, 1999, 10204, 6186, 2047, 3513, 102 })]
    [InlineData("""{"do_lower_case": true}""", new[] { 101, 7668, 5608, 1999, 10204, 6186, 2047, 3513, 102 })]
    [InlineData("""{"do_lower_case": true, "strip_accents": false}""", new[] { 101, 100, 5608, 1999, 100, 6186, 2047, 3513, 102 })]
    public void Loads_a_hugging_face_checkpoint_folder(string? config, int[] expected)
    {
        using var dir = new TempFolder();
        dir.File("vocab.txt", string.Join("\n", fixture.Vocab) + "\n");
        if (config is not null) dir.File("tokenizer_config.json", config);
        var t = BertWordPieceTokenizer.FromCheckpoint(dir.Path);
        Assert.Equal(expected, t.Encode(Accented).Ids);
    }

    [Fact]
    public void Checkpoint_strip_accents_follows_do_lower_case_when_null()
    {
        using var dir = new TempFolder();
        dir.File("vocab.txt", string.Join("\n", fixture.Vocab) + "\n");
        dir.File("tokenizer_config.json",
            """{"do_lower_case": false, "strip_accents": null, "tokenize_chinese_chars": false, "unk_token": {"content": "[UNK]"}}""");
        var t = BertWordPieceTokenizer.FromCheckpoint(dir.Path);
        Assert.Equal(new BertTokenizerSettings(false, null, false), t.Settings);
        Assert.False(t.Settings.EffectiveStripAccents);
        Assert.Equal(100, t.UnkId);
    }

    [Fact]
    public void Missing_checkpoint_folder_or_special_token_is_reported()
    {
        Assert.Throws<DirectoryNotFoundException>(() => BertWordPieceTokenizer.FromCheckpoint("/no/such/checkpoint"));
        var ex = Assert.Throws<ArgumentException>(() => BertWordPieceTokenizer.FromVocab(["a", "b", "[UNK]"]));
        Assert.Contains("[CLS]", ex.Message);
    }
}
