using AgNewsLsp.Data;
using AgNewsLsp.Tests.Text;

namespace AgNewsLsp.Tests.Data;

/// <summary>Reads the real AG News files in shared/data/ag_news.</summary>
public class AgNewsFilesTests
{
    [Fact]
    public void Test_split_has_7600_rows_1900_per_class()
    {
        var data = LabeledDataReader.ReadFile(TestPaths.AgNewsTest);
        Assert.Equal(DataFormat.AgNewsCsv, data.Format);
        Assert.Equal(7600, data.Count);
        Assert.Equal([1900, 1900, 1900, 1900], data.ClassCounts());
        Assert.Equal(0, data.SkippedRows);
        Assert.Equal(2, data.Rows[0].Label); // "3" = Business
        Assert.StartsWith("Fears for T N pension after talks Unions representing", data.Rows[0].Text);
    }

    [Fact]
    public void Train_subset_has_10429_rows_with_the_documented_class_counts()
    {
        var data = LabeledDataReader.ReadFile(TestPaths.AgNewsTrain);
        Assert.Equal(10429, data.Count);
        Assert.Equal([2630, 2452, 2594, 2753], data.ClassCounts());
    }

    [Fact]
    public void First_train_text_is_title_space_description_with_backslashes_verbatim()
    {
        var data = LabeledDataReader.ReadFile(TestPaths.AgNewsTrain, new DataReadOptions(Limit: 1));
        var row = Assert.Single(data.Rows);
        Assert.Equal(BertWordPieceTokenizerTests.FirstTrainText, row.Text);
        Assert.Equal(2, row.Label);
    }

    [Fact]
    public void Limit_takes_the_first_rows()
    {
        var all = LabeledDataReader.ReadFile(TestPaths.AgNewsTest);
        var some = LabeledDataReader.ReadFile(TestPaths.AgNewsTest, new DataReadOptions(Limit: 25));
        Assert.Equal(all.Rows.Take(25), some.Rows);
    }

    [Fact]
    public void Folder_resolves_to_the_split_files()
    {
        Assert.Equal([TestPaths.AgNewsTest], DataLocator.Resolve(TestPaths.AgNewsData, "test"));
        Assert.Equal([TestPaths.AgNewsTrain, Path.Combine(TestPaths.AgNewsData, "train-more.csv")],
            DataLocator.Resolve(TestPaths.AgNewsData, "train"));
        var data = LabeledDataReader.ReadSplit(TestPaths.AgNewsData, "test", new DataReadOptions(Limit: 3));
        Assert.Equal(3, data.Count);
        Assert.Equal(TestPaths.AgNewsTest, data.Path);
    }

    [Fact]
    public void The_shared_train_files_hold_45578_distinct_training_rows()
    {
        var data = LabeledDataReader.ReadSplit(TestPaths.AgNewsData, "train");
        Assert.Equal(45578, data.Count);
        Assert.Equal(0, data.DuplicateRows); // train-more.csv was deduplicated against train.csv (its README)
        Assert.Equal([2630 + 7583, 2452 + 9386, 2594 + 9527, 2753 + 8653], data.ClassCounts());
        Assert.Equal(["World", "Sports", "Business", "Sci/Tech"], data.LabelNames);
    }

    [Fact]
    public void The_shared_train_files_read_the_same_with_their_classes_file_and_without_it()
    {
        Assert.True(File.Exists(Path.Combine(TestPaths.AgNewsData, ClassNames.FileName)));
        using var copy = new TempFolder(); // the same files with no classes.txt beside them: plain numbers mean AG News
        foreach (var file in DataLocator.Resolve(TestPaths.AgNewsData, "train"))
            File.Copy(file, copy.Combine(Path.GetFileName(file)));
        var listed = LabeledDataReader.ReadSplit(TestPaths.AgNewsData, "train");
        var plain = LabeledDataReader.ReadSplit(copy.Path, "train");
        Assert.Equal(AgNewsLabels.Names, listed.LabelNames);
        Assert.Equal(AgNewsLabels.Names, plain.LabelNames);
        Assert.Equal(45578, plain.Count);
        Assert.Equal(listed.Rows, plain.Rows);
    }
}
