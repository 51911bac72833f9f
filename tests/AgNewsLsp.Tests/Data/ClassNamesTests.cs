using AgNewsLsp.Data;

namespace AgNewsLsp.Tests.Data;

/// <summary>The classes of a read come from the data: its label names, or a classes.txt beside it; plain numbers mean AG News.</summary>
public class ClassNamesTests
{
    [Fact]
    public void String_labels_make_the_classes_in_ordinal_order_whatever_the_row_order()
    {
        using var dir = new TempFolder();
        var csv = dir.File("a/train.csv",
            "text,label\nvote in parliament,Politics\nflu vaccine,Health\nbeach holiday,Travel\nnew law,politics\n");
        var jsonl = dir.File("b/train.jsonl",
            "{\"text\":\"beach holiday\",\"label\":\"Travel\"}\n{\"text\":\"flu vaccine\",\"label\":\"Health\"}\n" +
            "{\"text\":\"vote\",\"label\":\"Politics\"}\n");

        var fromCsv = LabeledDataReader.ReadFile(csv);
        Assert.Equal(["Health", "Politics", "Travel"], fromCsv.LabelNames);
        Assert.Equal([1, 0, 2, 1], fromCsv.Rows.Select(r => r.Label)); // "politics" is Politics
        Assert.Equal(fromCsv.LabelNames, LabeledDataReader.ReadFile(jsonl).LabelNames);
        Assert.Equal([1, 2, 1], fromCsv.ClassCounts());
    }

    [Fact]
    public async Task String_labels_in_parquet_make_the_classes_too()
    {
        using var dir = new TempFolder();
        var path = dir.Combine("d.parquet");
        var textField = new Parquet.Schema.DataField<string>("text");
        var labelField = new Parquet.Schema.DataField<string>("label");
        await using (var stream = File.Create(path))
        await using (var writer = await Parquet.ParquetWriter.CreateAsync(new Parquet.Schema.ParquetSchema(textField, labelField), stream))
        {
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(textField, new[] { "guitar solo", "pasta recipe" });
            await group.WriteAsync(labelField, new[] { "Music", "Food" });
        }
        var data = LabeledDataReader.ReadFile(path);
        Assert.Equal(["Food", "Music"], data.LabelNames);
        Assert.Equal([1, 0], data.Rows.Select(r => r.Label));
    }

    [Fact]
    public void Names_that_differ_only_in_case_are_one_class_ordered_and_spelled_whatever_the_row_order()
    {
        using var dir = new TempFolder();
        var a = dir.File("a.csv", "text,label\nflu,health\nvote,politics\ncold,Health\nsong,apple\n");
        var b = dir.File("b.csv", "text,label\ncold,Health\nsong,apple\nflu,health\nvote,politics\n");
        Assert.Equal(["apple", "Health", "politics"], LabeledDataReader.ReadFile(a).LabelNames);
        Assert.Equal(["apple", "Health", "politics"], LabeledDataReader.ReadFile(b).LabelNames);
        Assert.Equal([1, 2, 1, 0], LabeledDataReader.ReadFile(a).Rows.Select(r => r.Label));
    }

    [Fact]
    public void Names_of_other_classes_are_kept_as_the_data_writes_them_even_one_that_is_also_an_AG_News_class()
    {
        using var dir = new TempFolder();
        var path = dir.File("bbc.csv",
            "text,label\nshares fell,business\na new film,entertainment\nthe vote,politics\nthe final,sport\na new phone,tech\n");
        Assert.Equal(["business", "entertainment", "politics", "sport", "tech"], LabeledDataReader.ReadFile(path).LabelNames);
    }

    [Fact]
    public void Names_that_are_all_AG_News_classes_keep_the_AG_News_order_and_spelling()
    {
        using var dir = new TempFolder();
        var path = dir.File("d.jsonl", "{\"text\":\"chips\",\"label\":\"sci/tech\"}\n{\"text\":\"goal\",\"label\":\"Sports\"}\n");
        var data = LabeledDataReader.ReadFile(path);
        Assert.Equal(AgNewsLabels.Names, data.LabelNames);
        Assert.Equal([3, 1], data.Rows.Select(r => r.Label));
    }

    [Fact]
    public void Classes_file_names_numbers_from_1_in_AG_News_csv_and_from_0_elsewhere()
    {
        using var dir = new TempFolder();
        dir.File("classes.txt", "Politics\nHealth\n\nTravel\n");
        var canonical = dir.File("train.csv", "\"1\",\"Vote\",\"in parliament\"\n\"3\",\"Beach\",\"holiday\"\n");
        var jsonl = dir.File("test.jsonl",
            "{\"text\":\"vote\",\"label\":0}\n{\"text\":\"beach\",\"label\":\"travel\"}\n{\"text\":\"flu\",\"label\":1}\n");

        var a = LabeledDataReader.ReadFile(canonical);
        Assert.Equal(["Politics", "Health", "Travel"], a.LabelNames); // the file's order, blank lines ignored
        Assert.Equal([0, 2], a.Rows.Select(r => r.Label));
        var b = LabeledDataReader.ReadFile(jsonl);
        Assert.Equal(a.LabelNames, b.LabelNames);
        Assert.Equal([0, 2, 1], b.Rows.Select(r => r.Label));

        var outOfRange = dir.File("more.csv", "\"4\",\"a\",\"b\"\n");
        Assert.Contains("class must be 1-3", Assert.Throws<DataFormatException>(() => LabeledDataReader.ReadFile(outOfRange)).Message);
        var unknown = dir.File("other.jsonl", "{\"text\":\"pizza\",\"label\":\"Food\"}\n");
        var ex = Assert.Throws<DataFormatException>(() => LabeledDataReader.ReadFile(unknown));
        Assert.Contains("classes.txt", ex.Message);
        Assert.Contains("'Food'", ex.Message);
    }

    [Fact]
    public void A_classes_file_that_lists_a_name_twice_or_none_is_refused()
    {
        using var dir = new TempFolder();
        var data = dir.File("d.jsonl", "{\"text\":\"vote\",\"label\":0}\n");
        var classes = dir.File("classes.txt", "Politics\nHealth\npolitics\n");
        var ex = Assert.Throws<DataFormatException>(() => LabeledDataReader.ReadFile(data));
        Assert.Equal(classes, ex.Path);
        Assert.Equal(3, ex.Line);
        File.WriteAllText(classes, "\n  \n");
        Assert.Contains("no classes", Assert.Throws<DataFormatException>(() => LabeledDataReader.ReadFile(data)).Message);
    }

    [Fact]
    public void Numbers_without_a_classes_file_mean_AG_News_so_other_names_beside_them_are_bad_rows()
    {
        using var dir = new TempFolder();
        var path = dir.File("d.csv", "text,label\nWeather report,Weather\nmatch,1\n");
        var ex = Assert.Throws<DataFormatException>(() => LabeledDataReader.ReadFile(path));
        Assert.Equal(2, ex.Line); // the name's row, though the number that rules it out comes later
        Assert.Contains("AG News", ex.Message);
        var skipped = LabeledDataReader.ReadFile(path, new DataReadOptions(SkipBadRows: true));
        Assert.Equal(AgNewsLabels.Names, skipped.LabelNames);
        Assert.Equal([new LabeledText("match", 1)], skipped.Rows);
        Assert.Equal(1, skipped.SkippedRows);

        // A number that is no class is a bad row only: it does not make the other rows' names AG News names.
        var stray = dir.File("f.csv", "text,label\nflu,Health\nodd,7\nvote,Politics\n");
        var named = LabeledDataReader.ReadFile(stray, new DataReadOptions(SkipBadRows: true));
        Assert.Equal(["Health", "Politics"], named.LabelNames);
        Assert.Equal(2, named.Count);

        var tooHigh = dir.File("e.jsonl", "{\"text\":\"x\",\"label\":7}\n");
        Assert.Contains("classes.txt", Assert.Throws<DataFormatException>(() => LabeledDataReader.ReadFile(tooHigh)).Message);
    }

    [Fact]
    public void Files_read_together_must_have_the_same_classes()
    {
        using var dir = new TempFolder();
        var a = dir.File("a.jsonl", "{\"text\":\"vote\",\"label\":\"Politics\"}\n{\"text\":\"flu\",\"label\":\"Health\"}\n");
        var same = dir.File("b.jsonl", "{\"text\":\"cold\",\"label\":\"health\"}\n{\"text\":\"law\",\"label\":\"Politics\"}\n");
        var other = dir.File("c.jsonl", "{\"text\":\"beach\",\"label\":\"Travel\"}\n{\"text\":\"law\",\"label\":\"Politics\"}\n");

        var together = LabeledDataReader.ReadSplit([a, same], "train");
        Assert.Equal(["Health", "Politics"], together.LabelNames);
        Assert.Equal([1, 0, 0, 1], together.Rows.Select(r => r.Label));

        var ex = Assert.Throws<DataFormatException>(() => LabeledDataReader.ReadSplit([a, other], "train"));
        Assert.Equal(other, ex.Path);
        Assert.Contains("Health, Politics", ex.Message);
        Assert.Contains("Politics, Travel", ex.Message);

        // A classes file beside them gives every file the same list.
        dir.File("classes.txt", "Politics\nHealth\nTravel\n");
        var listed = LabeledDataReader.ReadSplit([a, other], "train");
        Assert.Equal(["Politics", "Health", "Travel"], listed.LabelNames);
        Assert.Equal([0, 1, 2, 0], listed.Rows.Select(r => r.Label));
    }

    [Fact]
    public void Data_labels_map_to_a_heads_classes_by_name()
    {
        using var dir = new TempFolder();
        var path = dir.File("d.csv", "text,label\nflu,Health\nvote,Politics\ncold,health\n");
        var data = LabeledDataReader.ReadFile(path);
        Assert.Equal([2, 0, 2], data.LabelsIn(["Politics", "Travel", "Health"]));

        var ex = Assert.Throws<DataFormatException>(() => data.LabelsIn(["Politics", "Travel"]));
        Assert.Contains("Health", ex.Message);
        Assert.Contains(path, ex.Message);
        Assert.Contains("Health", Assert.Throws<DataFormatException>(() => data.LabelsIn(AgNewsLabels.Names)).Message);
    }
}
