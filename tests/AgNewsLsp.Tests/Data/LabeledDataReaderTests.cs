using AgNewsLsp.Data;
using Parquet;
using Parquet.Schema;

namespace AgNewsLsp.Tests.Data;

public class LabeledDataReaderTests
{
    [Fact]
    public void Canonical_csv_unescapes_doubled_quotes_only_and_keeps_backslashes()
    {
        using var dir = new TempFolder();
        var path = dir.File("a.csv",
            "\"1\",\"He said \"\"hi\"\"\",\"back\\\\slash and \\n newline\"\n" +
            "\"4\",\"Multi\nline title\",\"desc, with comma\"\r\n");
        var data = LabeledDataReader.ReadFile(path);
        Assert.Equal(DataFormat.AgNewsCsv, data.Format);
        Assert.Equal(
            [new LabeledText("He said \"hi\" back\\\\slash and \\n newline", 0), new LabeledText("Multi\nline title desc, with comma", 3)],
            data.Rows);
    }

    [Fact]
    public void Canonical_csv_accepts_unquoted_fields_and_spaces_after_quotes()
    {
        using var dir = new TempFolder();
        var path = dir.File("a.csv", "2,Plain title,Plain description\n\"3\" ,\"Quoted\"\t,\"x\"  \r\n\n");
        var data = LabeledDataReader.ReadFile(path);
        Assert.Equal([new LabeledText("Plain title Plain description", 1), new LabeledText("Quoted x", 2)], data.Rows);
    }

    [Fact]
    public void Line_numbers_count_lines_inside_quoted_fields()
    {
        using var dir = new TempFolder();
        var path = dir.File("a.csv", "\"1\",\"t\",\"two\nlines\"\n\"2\",\"t\",\"d\"\n\"7\",\"t\",\"d\"\n");
        var ex = Assert.Throws<DataFormatException>(() => LabeledDataReader.ReadFile(path));
        Assert.Equal(4, ex.Line);
        Assert.Equal(path, ex.Path);
        Assert.Contains(path, ex.Message);
        Assert.Contains("line 4", ex.Message);
    }

    [Theory]
    [InlineData("\"1\",\"only two\"\n", 1, "3 columns")]
    [InlineData("\"1\",\"a\",\"b\"\n\"0\",\"a\",\"b\"\n", 2, "1-4")]
    [InlineData("\"1\",\"a\",\"b\"\n\"x\",\"a\",\"b\"\n", 2, "1-4")]
    [InlineData("\"1\",\"a\",\"b\"\n\"2\",\"a\",\"b\",\"c\"\n", 2, "3 columns")]
    [InlineData("\"1\",\"a\",\"b\"\n\"2\",\"a\",\"never closed\n", 2, "unterminated")]
    [InlineData("\"1\",\"a\",\"b\"\n\"2\",\"\",\" \"\n", 2, "empty")]
    [InlineData("\"1\",\"a\"x,\"b\"\n", 1, "after the closing quote")]
    public void Bad_canonical_rows_name_file_and_line(string csv, int line, string reason)
    {
        using var dir = new TempFolder();
        var path = dir.File("bad.csv", csv);
        var ex = Assert.Throws<DataFormatException>(() =>
            LabeledDataReader.ReadFile(path, new DataReadOptions(Format: DataFormat.AgNewsCsv)));
        Assert.Equal(line, ex.Line);
        Assert.Contains(reason, ex.Message);
        Assert.Contains($"{path}, line {line}", ex.Message);
    }

    [Fact]
    public void Skip_bad_rows_counts_and_describes_them()
    {
        using var dir = new TempFolder();
        var path = dir.File("mixed.csv",
            "\"1\",\"ok\",\"one\"\n" +
            "\"9\",\"bad\",\"label\"\n" +
            "\"2\",\"short\"\n" +
            "\"3\",\"ok\",\"three\"\n" +
            "\"4\",\"a\"junk,\"b\"\n" +
            "\"4\",\"ok\",\"four\"\n" +
            "\"2\",\"open\",\"never closed\n");
        var data = LabeledDataReader.ReadFile(path, new DataReadOptions(SkipBadRows: true));
        Assert.Equal(["ok one", "ok three", "ok four"], data.Rows.Select(r => r.Text));
        Assert.Equal([0, 2, 3], data.Rows.Select(r => r.Label));
        Assert.Equal(4, data.SkippedRows);
        Assert.Equal(4, data.Problems.Count);
        Assert.Contains("line 2", data.Problems[0]);
        Assert.Contains("line 3", data.Problems[1]);
        Assert.Contains("line 5", data.Problems[2]);
        Assert.Contains("line 7", data.Problems[3]);
    }

    [Fact]
    public void Limit_counts_good_rows()
    {
        using var dir = new TempFolder();
        var path = dir.File("mixed.csv", "\"1\",\"a\",\"b\"\n\"0\",\"bad\",\"x\"\n\"2\",\"c\",\"d\"\n\"3\",\"e\",\"f\"\n");
        var data = LabeledDataReader.ReadFile(path, new DataReadOptions(SkipBadRows: true, Limit: 2));
        Assert.Equal(["a b", "c d"], data.Rows.Select(r => r.Text));
        Assert.Equal(1, data.SkippedRows);
        Assert.Empty(LabeledDataReader.ReadFile(path, new DataReadOptions(Limit: 0)).Rows);
    }

    [Fact]
    public void Missing_file_names_the_path()
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-" + Guid.NewGuid() + ".csv");
        var ex = Assert.Throws<FileNotFoundException>(() => LabeledDataReader.ReadFile(path));
        Assert.Equal(path, ex.FileName);
        Assert.Contains(path, ex.Message);
        Assert.Throws<FileNotFoundException>(() => LabeledDataReader.Read(path));
    }

    [Fact]
    public void Header_csv_reads_text_and_label_columns_in_any_order_with_numbers_or_names()
    {
        using var dir = new TempFolder();
        var path = dir.File("hf.csv",
            "\uFEFFlabel,id,text\n" +
            "0,1,Plain text\n" +
            "Sports,2,\"Quoted, with \"\"quotes\"\"\"\n" +
            "sci/tech,3,\"two\nlines\"\n" +
            "2,4,Business news\n");
        var data = LabeledDataReader.ReadFile(path);
        Assert.Equal(DataFormat.HeaderCsv, data.Format);
        Assert.Equal(
            [new LabeledText("Plain text", 0), new LabeledText("Quoted, with \"quotes\"", 1), new LabeledText("two\nlines", 3),
                new LabeledText("Business news", 2)],
            data.Rows);
    }

    [Theory]
    [InlineData("text,label\nfine,0\nbad,4\n", 3, "0-3")]
    [InlineData("text,label\nfine,0\nbad,Weather\n", 3, "World")]
    [InlineData("text,label\nfine,0\nmissing\n", 3, "2 columns")]
    [InlineData("text,label\n,1\n", 2, "empty")]
    public void Bad_header_csv_rows_name_file_and_line(string csv, int line, string reason)
    {
        using var dir = new TempFolder();
        var path = dir.File("hf.csv", csv);
        var ex = Assert.Throws<DataFormatException>(() => LabeledDataReader.ReadFile(path));
        Assert.Equal(line, ex.Line);
        Assert.Contains(reason, ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Header_without_text_and_label_is_rejected_when_forced()
    {
        using var dir = new TempFolder();
        var path = dir.File("hf.csv", "title,class\nx,1\n");
        var ex = Assert.Throws<DataFormatException>(() =>
            LabeledDataReader.ReadFile(path, new DataReadOptions(Format: DataFormat.HeaderCsv)));
        Assert.Contains("'text'", ex.Message);
    }

    [Fact]
    public void Jsonl_reads_numbers_and_names_and_reports_bad_lines()
    {
        using var dir = new TempFolder();
        var path = dir.File("d.jsonl",
            "{\"text\": \"Back\\\\slash \\\"quoted\\\"\", \"label\": 3}\n" +
            "\n" +
            "{\"label\": \"World\", \"text\": \"Peace talks\"}\n" +
            "{\"text\": \"no label\"}\n" +
            "not json\n" +
            "{\"text\": \"x\", \"label\": 7}\n");
        var data = LabeledDataReader.ReadFile(path, new DataReadOptions(SkipBadRows: true));
        Assert.Equal(DataFormat.Jsonl, data.Format);
        Assert.Equal([new LabeledText("Back\\slash \"quoted\"", 3), new LabeledText("Peace talks", 0)], data.Rows);
        Assert.Equal(3, data.SkippedRows);
        Assert.Contains("line 4", data.Problems[0]);
        Assert.Contains("line 5", data.Problems[1]);
        Assert.Contains("line 6", data.Problems[2]);

        var ex = Assert.Throws<DataFormatException>(() => LabeledDataReader.ReadFile(path));
        Assert.Equal(4, ex.Line);
    }

    private static async Task WriteParquetAsync(string path, string?[] texts, long[] labels)
    {
        var textField = new DataField<string>("text");
        var labelField = new DataField<long>("label");
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(textField, labelField), stream);
        using var group = writer.CreateRowGroup();
        await group.WriteAsync(textField, texts);
        await group.WriteAsync(labelField, new ReadOnlyMemory<long>(labels));
    }

    private static async Task WriteParquetStringLabelsAsync(string path, string[] texts, string[] labels)
    {
        var textField = new DataField<string>("text");
        var labelField = new DataField<string>("label");
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(labelField, textField), stream);
        using var group = writer.CreateRowGroup();
        await group.WriteAsync(labelField, labels);
        await group.WriteAsync(textField, texts);
    }

    [Fact]
    public async Task Parquet_with_text_and_integer_label_columns()
    {
        using var dir = new TempFolder();
        var path = dir.Combine("train.parquet");
        await WriteParquetAsync(path, ["World news", "A goal\\nscored", "Stocks", "Chips"], [0, 1, 2, 3]);
        var data = LabeledDataReader.ReadFile(path);
        Assert.Equal(DataFormat.Parquet, data.Format);
        Assert.Equal(
            [new LabeledText("World news", 0), new LabeledText("A goal\\nscored", 1), new LabeledText("Stocks", 2),
                new LabeledText("Chips", 3)],
            data.Rows);
        Assert.Equal(2, LabeledDataReader.ReadFile(path, new DataReadOptions(Limit: 2)).Count);
    }

    [Fact]
    public async Task Parquet_with_class_name_labels_and_bad_rows()
    {
        using var dir = new TempFolder();
        var path = dir.Combine("d.parquet");
        await WriteParquetStringLabelsAsync(path, ["a", "b", "c"], ["Business", "Nope", "1"]);
        var ex = Assert.Throws<DataFormatException>(() => LabeledDataReader.ReadFile(path));
        Assert.Equal(2, ex.Line);
        Assert.Contains("row 2", ex.Message);
        var data = LabeledDataReader.ReadFile(path, new DataReadOptions(SkipBadRows: true));
        Assert.Equal([new LabeledText("a", 2), new LabeledText("c", 1)], data.Rows);
        Assert.Equal(1, data.SkippedRows);
    }

    [Fact]
    public async Task Parquet_label_out_of_range_is_a_bad_row()
    {
        using var dir = new TempFolder();
        var path = dir.Combine("d.parquet");
        await WriteParquetAsync(path, ["a", "b"], [0, 4]);
        var ex = Assert.Throws<DataFormatException>(() => LabeledDataReader.ReadFile(path));
        Assert.Equal(2, ex.Line);
    }

    [Fact]
    public void Detects_formats_by_extension_and_content()
    {
        using var dir = new TempFolder();
        Assert.Equal(DataFormat.AgNewsCsv, DataFormatDetector.Detect(dir.File("a.csv", "\"1\",\"t\",\"d\"\n")));
        Assert.Equal(DataFormat.HeaderCsv, DataFormatDetector.Detect(dir.File("b.csv", "text,label\nx,0\n")));
        Assert.Equal(DataFormat.HeaderCsv, DataFormatDetector.Detect(dir.File("b.txt", "\"Label\",\"Text\"\n0,x\n")));
        Assert.Equal(DataFormat.Jsonl, DataFormatDetector.Detect(dir.File("c.jsonl", "{\"text\":\"x\",\"label\":0}\n")));
        Assert.Equal(DataFormat.Jsonl, DataFormatDetector.Detect(dir.File("c.data", "\n  {\"text\":\"x\",\"label\":0}\n")));
        var fake = dir.File("d.parquet", "not parquet");
        Assert.Throws<DataFormatException>(() => DataFormatDetector.Detect(fake));
    }

    [Fact]
    public async Task Detects_parquet_by_magic_bytes_whatever_the_extension()
    {
        using var dir = new TempFolder();
        var path = dir.Combine("data.bin");
        await WriteParquetAsync(path, ["x"], [1]);
        Assert.Equal(DataFormat.Parquet, DataFormatDetector.Detect(path));
        Assert.Equal([new LabeledText("x", 1)], LabeledDataReader.ReadFile(path).Rows);
    }

    [Fact]
    public async Task Resolver_finds_plain_and_hugging_face_layouts()
    {
        using var dir = new TempFolder();
        var csv = dir.File("plain/train.csv", "\"1\",\"t\",\"d\"\n");
        var jsonl = dir.File("plain/test.jsonl", "{\"text\":\"x\",\"label\":0}\n");
        Assert.Equal([csv], DataLocator.Resolve(dir.Combine("plain"), "train"));
        Assert.Equal([jsonl], DataLocator.Resolve(dir.Combine("plain"), "test"));
        Assert.Equal([jsonl], DataLocator.Resolve(jsonl, "train")); // a file is used as it is

        Directory.CreateDirectory(dir.Combine("hf/data"));
        var shard0 = dir.Combine("hf/data/train-00000-of-00002.parquet");
        var shard1 = dir.Combine("hf/data/train-00001-of-00002.parquet");
        var test = dir.Combine("hf/data/test-00000-of-00001.parquet");
        await WriteParquetAsync(shard1, ["c"], [2]);
        await WriteParquetAsync(shard0, ["a", "b"], [0, 1]);
        await WriteParquetAsync(test, ["t"], [3]);
        Assert.Equal([shard0, shard1], DataLocator.Resolve(dir.Combine("hf"), "train"));
        Assert.Equal([test], DataLocator.Resolve(dir.Combine("hf"), "test"));

        var train = LabeledDataReader.ReadSplit(dir.Combine("hf"), "train");
        Assert.Equal(["a", "b", "c"], train.Rows.Select(r => r.Text));
        Assert.Equal(DataFormat.Parquet, train.Format);
        Assert.Equal(["a", "b"],
            LabeledDataReader.ReadSplit(dir.Combine("hf"), "train", new DataReadOptions(Limit: 2)).Rows.Select(r => r.Text));

        var ex = Assert.Throws<FileNotFoundException>(() => DataLocator.Resolve(dir.Combine("hf"), "validation"));
        Assert.Contains("validation", ex.Message);
        Assert.Throws<FileNotFoundException>(() => DataLocator.Resolve(dir.Combine("nowhere"), "train"));
    }

    [Fact]
    public void A_folder_means_every_file_of_the_split_the_exact_name_first()
    {
        using var dir = new TempFolder();
        var train = dir.File("d/train.csv", "\"1\",\"a\",\"x\"\n\"2\",\"b\",\"y\"\n");
        var more = dir.File("d/train-more.csv", "text,label\nb  y,1\nc z,2\n");
        var extra = dir.File("d/train_2.jsonl", "{\"text\":\"d w\",\"label\":3}\n");
        dir.File("d/training-notes.csv", "not data");
        dir.File("d/train.txt", "not data");
        dir.File("d/test.csv", "\"1\",\"t\",\"u\"\n");
        Assert.Equal([train, more, extra], DataLocator.Resolve(dir.Combine("d"), "train"));

        var data = LabeledDataReader.ReadSplit(dir.Combine("d"), "train");
        // "b  y" in train-more.csv is "b y" of train.csv up to whitespace: counted once.
        Assert.Equal(["a x", "b y", "c z", "d w"], data.Rows.Select(r => r.Text));
        Assert.Equal(1, data.DuplicateRows);
        Assert.Equal([train, more, extra], data.Files);
        Assert.Equal(DataFormat.Mixed, data.Format);
        Assert.Contains("train-more.csv", data.Path);
    }

    [Fact]
    public void Several_paths_read_as_one_dataset_keeping_duplicates_inside_a_file()
    {
        using var dir = new TempFolder();
        var a = dir.File("a.jsonl", "{\"text\":\"same\",\"label\":0}\n{\"text\":\"same\",\"label\":0}\n");
        var b = dir.File("b.jsonl", "{\"text\":\"same\",\"label\":1}\n{\"text\":\"other\",\"label\":2}\n");
        var data = LabeledDataReader.ReadSplit([a, b], "train");
        Assert.Equal([new LabeledText("same", 0), new LabeledText("same", 0), new LabeledText("other", 2)], data.Rows);
        Assert.Equal(1, data.DuplicateRows);
        // The same file named twice is read once; a limit counts kept rows.
        Assert.Equal(2, LabeledDataReader.ReadSplit([a, a], "train").Count);
        Assert.Equal(["same", "same"],
            LabeledDataReader.ReadSplit([a, b], "train", new DataReadOptions(Limit: 2)).Rows.Select(r => r.Text));
        Assert.Throws<FileNotFoundException>(() => LabeledDataReader.ReadSplit([a, dir.Combine("missing.csv")], "train"));
    }
}
