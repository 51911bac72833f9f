using AgNewsLsp.Teaching;

namespace AgNewsLsp.Tests.Teaching;

/// <summary>The corrections dataset: appended, one row per text (the last label wins), undo, torn lines ignored and repaired.</summary>
public class CorrectionsFileTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private string Path => _temp.Combine(".agnews/labels.jsonl");

    public void Dispose() => _temp.Dispose();

    private static Correction Row(string text, string label, int line = 0) =>
        new(text, label, new CorrectionSource("file:///w/a.md", line, line + 1), new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Rows_are_appended_one_line_each_and_read_back_by_the_training_reader()
    {
        CorrectionsFile.Add(Path, Row("Stocks fell sharply on Wall Street today.", "Business"));
        CorrectionsFile.Add(Path, Row("The striker scored twice in the derby.", "Sports", 4));
        var lines = File.ReadAllLines(Path);
        Assert.Equal(2, lines.Length);
        Assert.Contains("\"source\":{\"uri\":\"file:///w/a.md\",\"startLine\":4,\"endLine\":5}", lines[1]);
        Assert.Equal(["Business", "Sports"], CorrectionsFile.Read(Path).Rows.Select(r => r.Label));
        // The file is labelled data like any other: agnews train --data reads it. Labels that are AG News classes mean
        // the AG News classes, so corrections train together with AG News data; a new class is kept as written.
        var data = AgNewsLsp.Data.LabeledDataReader.ReadSplit(Path, "train", new AgNewsLsp.Data.DataReadOptions(false, null));
        Assert.Equal(2, data.Count);
        Assert.Equal(AgNewsLsp.Data.AgNewsLabels.Names, data.LabelNames);
        CorrectionsFile.Add(Path, Row("The film premiered in Cannes.", "Entertainment"));
        data = AgNewsLsp.Data.LabeledDataReader.ReadSplit(Path, "train", new AgNewsLsp.Data.DataReadOptions(false, null));
        Assert.Equal(["Business", "Entertainment", "Sports"], data.LabelNames);
    }

    [Fact]
    public void The_same_text_labelled_twice_keeps_one_row_the_last_label_and_undo_puts_the_first_back()
    {
        CorrectionsFile.Add(Path, Row("Oil prices rose.", "World"));
        CorrectionsFile.Add(Path, Row("A new chip doubles speed.", "Sci/Tech"));
        var replaced = CorrectionsFile.Add(Path, Row("  Oil prices rose.  ", "Business"));
        Assert.Equal("World", replaced?.Label);
        var rows = CorrectionsFile.Read(Path).Rows;
        Assert.Equal([("A new chip doubles speed.", "Sci/Tech"), ("  Oil prices rose.  ", "Business")], rows.Select(r => (r.Text, r.Label)));
        Assert.Equal(2, File.ReadAllLines(Path).Length);

        var removed = CorrectionsFile.RemoveLast(Path, replaced);
        Assert.Equal("Business", removed?.Label);
        Assert.Equal(["Sci/Tech", "World"], CorrectionsFile.Read(Path).Rows.Select(r => r.Label));
        Assert.Equal("World", CorrectionsFile.RemoveLast(Path)?.Label); // without what it replaced: only removed
        Assert.Equal("Sci/Tech", CorrectionsFile.RemoveLast(Path)?.Label);
        Assert.Null(CorrectionsFile.RemoveLast(Path));
    }

    [Fact]
    public void A_torn_last_line_is_ignored_with_a_warning_and_cut_off_by_the_next_append()
    {
        CorrectionsFile.Add(Path, Row("Oil prices rose.", "World"));
        File.AppendAllText(Path, "{\"text\":\"The match was drawn\",\"lab"); // a write killed midway
        var read = CorrectionsFile.Read(Path);
        Assert.Single(read.Rows);
        Assert.Contains("incomplete", read.Warning);
        CorrectionsFile.Add(Path, Row("The match was drawn 1-1.", "Sports"));
        var lines = File.ReadAllLines(Path);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => System.Text.Json.JsonDocument.Parse(l).Dispose()); // every line parses
        Assert.Null(CorrectionsFile.Read(Path).Warning);
    }

    [Fact]
    public void A_complete_line_that_is_not_a_correction_names_the_file_and_line()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        File.WriteAllText(Path, "{\"text\":\"a b c\",\"label\":\"World\"}\nnot json\n");
        var e = Assert.Throws<AgNewsLsp.Data.DataFormatException>(() => CorrectionsFile.Read(Path));
        Assert.Contains("labels.jsonl", e.Message);
        Assert.Contains("2", e.Message);
    }

    [Fact]
    public void The_default_file_is_under_the_workspace_folder_and_a_setting_moves_it()
    {
        Assert.Equal("/w/.agnews/labels.jsonl", CorrectionsFile.PathFor(null, "/w", "/w/docs/a.md"));
        Assert.Equal("/w/data/mine.jsonl", CorrectionsFile.PathFor("data/mine.jsonl", "/w", null));
        Assert.Equal("/docs/.agnews/labels.jsonl", CorrectionsFile.PathFor(null, null, "/docs/a.md"));
    }

    [Fact]
    public void The_command_line_finds_the_nearest_dataset_above_its_input_within_the_repository_else_uses_the_current_folder()
    {
        Directory.CreateDirectory(_temp.Combine(".git")); // the walk stops here, whatever lies above the temp folder
        var project = _temp.Combine("project");
        var notes = _temp.File("project/docs/notes/a.md", "text");
        var elsewhere = _temp.Combine("elsewhere");
        Directory.CreateDirectory(elsewhere);
        // Nothing yet: the current folder's, not found.
        Assert.Equal((System.IO.Path.Combine(elsewhere, ".agnews/labels.jsonl"), false), CorrectionsFile.FindFor([notes], elsewhere));

        var mine = _temp.File("project/.agnews/labels.jsonl", "");
        Assert.Equal((mine, true), CorrectionsFile.FindFor([notes], elsewhere)); // from the file's folder up
        Assert.Equal((mine, true), CorrectionsFile.FindFor(["docs/notes"], project)); // a relative folder, from the current one
        var nearer = _temp.File("project/docs/.agnews/labels.jsonl", "");
        Assert.Equal((nearer, true), CorrectionsFile.FindFor([notes], elsewhere));

        // The top of a repository ends the walk: a dataset above it belongs to something else.
        File.Delete(nearer);
        Directory.CreateDirectory(_temp.Combine("project/docs/.git"));
        Assert.Equal((System.IO.Path.Combine(elsewhere, ".agnews/labels.jsonl"), false), CorrectionsFile.FindFor([notes], elsewhere));
    }
}
