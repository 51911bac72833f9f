using AgNewsLsp.IO;
using System.Text.Json;
using AgNewsLsp.Engine;
using AgNewsLsp.Progress;
using AgNewsLsp.Server.Wire;
using AgNewsLsp.Tests.Protocol;
using AgNewsLsp.Text;

namespace AgNewsLsp.Tests.Engine;

/// <summary>The folder labeller and its writers, with the keyword-labelling fake engine (no model).</summary>
public class FolderLabelerTests
{
    private static FolderLabelRequest Request(string folder, TextUnit unit = TextUnit.Document, string[]? include = null,
        string[]? exclude = null) =>
        new(folder, new FileGlobs(include, exclude), unit);

    private static Task<FolderSummary> ToFile(ILabelingEngine engine, FolderLabelRequest request, string output, FolderOutputFormat format,
        IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        FolderLabeler.LabelToFileAsync(engine, request, output, w => FolderRowWriters.For(format, w), progress, cancellationToken);

    /// <summary>Minimal RFC 4180 reader for the assertions: quoted fields with doubled quotes, CRLF records.</summary>
    private static List<List<string>> ReadCsv(string text)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new System.Text.StringBuilder();
        bool quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { record.Add(field.ToString()); field.Clear(); }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                record.Add(field.ToString());
                field.Clear();
                records.Add(record);
                record = [];
                i++;
            }
            else field.Append(c);
        }
        Assert.True(field.Length == 0 && record.Count == 0, "the CSV does not end with CRLF");
        return records;
    }

    [Fact]
    public void Csv_fields_are_quoted_only_when_they_must_be()
    {
        Assert.Equal("plain.txt", FolderCsvWriter.Field("plain.txt"));
        Assert.Equal("\"a,b\"", FolderCsvWriter.Field("a,b"));
        Assert.Equal("\"say \"\"hi\"\"\"", FolderCsvWriter.Field("say \"hi\""));
        Assert.Equal("\"two\nlines\"", FolderCsvWriter.Field("two\nlines"));
        Assert.Equal("\"cr\rhere\"", FolderCsvWriter.Field("cr\rhere"));
    }

    [Fact]
    public async Task A_folder_becomes_a_csv_with_a_header_and_a_row_per_file_in_order()
    {
        using var folder = new TempFolder();
        folder.File("b.txt", "The match ended with a late goal.");
        folder.File("a,\"odd\".txt", "Stock market news.");
        folder.File("sub/c.md", "New software for the chip.");
        folder.File("skip.csv", "a,b");
        using var outFolder = new TempFolder();
        var output = outFolder.Combine("labels.csv");

        var summary = await ToFile(new FakeLabelingEngine(), Request(folder.Path), output, FolderOutputFormat.Csv);

        var rows = ReadCsv(File.ReadAllText(output));
        Assert.Equal(["file", "unit", "startLine", "endLine", "label", "probability", "truncated", "World", "Sports", "Business",
            "Sci/Tech"], rows[0]);
        Assert.Equal(["a,\"odd\".txt", "b.txt", "sub/c.md"], rows.Skip(1).Select(r => r[0]));
        Assert.Equal(["a,\"odd\".txt", "document", "1", "1", "Business", "0.7", "false", "0.1", "0.1", "0.7", "0.1"], rows[1]);
        Assert.Equal("Sports", rows[2][4]);
        Assert.Equal("Sci/Tech", rows[3][4]);
        Assert.Equal((3, 3, 0, 3L), (summary.FilesMatched, summary.FilesLabeled, summary.Skipped, summary.Rows));
        Assert.Equal(output, summary.OutputPath);
        Assert.Equal([0, 1, 1, 1], summary.LabelCounts.Select(c => c.Documents));
        Assert.Empty(Directory.GetFiles(outFolder.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Per_paragraph_a_file_has_its_document_row_then_a_row_per_paragraph_with_its_lines()
    {
        using var folder = new TempFolder();
        folder.File("news.txt", "\nA big match tonight.\nTwo goals.\n\n\nStock market news.\n");
        using var outFolder = new TempFolder();
        var output = outFolder.Combine("labels.jsonl");

        var summary = await ToFile(new FakeLabelingEngine(), Request(folder.Path, TextUnit.Paragraph), output, FolderOutputFormat.Jsonl);

        var lines = File.ReadAllLines(output);
        Assert.Equal(3, lines.Length);
        var rows = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["document", "paragraph", "paragraph"], rows.Select(r => r.GetProperty("unit").GetString()));
        Assert.Equal([(2, 6), (2, 3), (6, 6)],
            rows.Select(r => (r.GetProperty("startLine").GetInt32(), r.GetProperty("endLine").GetInt32())));
        Assert.Equal(["Sports", "Sports", "Business"], rows.Select(r => r.GetProperty("label").GetString()));
        // the wire's prediction fields, as PredictionDto serializes them
        var expected = LspJsonNames(PredictionDto.From(FakeLabelingEngine.LabelOf("Stock market news.")));
        Assert.Equal(["file", "unit", "startLine", "endLine", .. expected], rows[2].EnumerateObject().Select(p => p.Name));
        Assert.Equal(0.7, rows[2].GetProperty("probabilities").GetProperty("Business").GetDouble(), 6);
        Assert.Equal(2, rows[2].GetProperty("labelIndex").GetInt32());
        Assert.Equal("news.txt", rows[0].GetProperty("file").GetString());
        Assert.Equal(3L, summary.Rows);
        Assert.Equal([0, 1, 0, 0], summary.LabelCounts.Select(c => c.Documents));
        Assert.Equal([0, 1, 1, 0], summary.LabelCounts.Select(c => c.Paragraphs));
    }

    private static List<string> LspJsonNames(PredictionDto dto) =>
        AgNewsLsp.Server.Wire.WireJson.ToElement(dto).EnumerateObject().Select(p => p.Name).ToList();

    [Fact]
    public async Task Binary_large_short_and_special_files_are_skipped_with_their_reasons()
    {
        using var folder = new TempFolder();
        folder.File("good.txt", "A big match tonight.");
        File.WriteAllBytes(folder.Combine("binary.txt"), [0x50, 0x4B, 0x03, 0x04, 0x00, 0x00, 0x41, 0x42, 0x43]);
        folder.File("large.txt", new string('x', 5000));
        folder.File("short.md", "a!");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", folder.Combine("pipe.txt"))!) mkfifo.WaitForExit();
        using var outside = new TempFolder();
        File.CreateSymbolicLink(folder.Combine("passwd.txt"), outside.File("secret.txt", "Stock market secrets."));
        using var outFolder = new TempFolder();
        var output = outFolder.Combine("labels.csv");

        var summary = await ToFile(new FakeLabelingEngine(), Request(folder.Path) with { MaxFileBytes = 4096 }, output,
            FolderOutputFormat.Csv);

        Assert.Equal((6, 1, 5), (summary.FilesMatched, summary.FilesLabeled, summary.Skipped));
        var reasons = summary.SkippedFiles.ToDictionary(s => s.File, s => s.Reason);
        Assert.Contains("binary", reasons["binary.txt"]);
        Assert.Contains("too large", reasons["large.txt"]);
        Assert.DoesNotContain(folder.Path, reasons["large.txt"]);
        Assert.Contains("too little text", reasons["short.md"]);
        Assert.Contains("not a regular file", reasons["pipe.txt"]);
        Assert.Contains("outside the folder", reasons["passwd.txt"]);
        Assert.Equal(2, File.ReadAllLines(output).Length); // the header and good.txt
    }

    [Fact]
    public async Task Batches_are_written_as_they_finish_and_progress_counts_every_file()
    {
        using var folder = new TempFolder();
        var count = FolderLabeler.BatchFiles * 2 + 5;
        for (var i = 0; i < count; i++) folder.File($"f{i:D4}.txt", i % 2 == 0 ? "A big match." : "Stock market.");
        folder.File("zz-binary.txt", "bin\0ary");
        var engine = new FakeLabelingEngine();
        var reports = new List<WorkProgress>();
        var writer = new CountingWriter();

        var summary = await FolderLabeler.LabelAsync(engine, Request(folder.Path), writer, new InlineProgress<WorkProgress>(reports.Add),
            CancellationToken.None);

        Assert.Equal(count, engine.ClassifyCalls); // ClassifyIndependently, which the fake leaves to its default: a call per text
        Assert.Equal([FolderLabeler.BatchFiles, FolderLabeler.BatchFiles * 2, count], writer.RowsAtFlush.Take(3));
        Assert.Equal(count, summary.FilesLabeled);
        var labelling = reports.Where(r => r.Stage == "labelling").ToList();
        Assert.Equal(labelling.Select(r => r.Done).Order(), labelling.Select(r => r.Done));
        Assert.Equal((count + 1L, count + 1L), (labelling[^1].Done, labelling[^1].Total));
    }

    [Fact]
    public async Task A_files_rows_do_not_depend_on_the_other_files_even_where_a_batch_would_change_them()
    {
        using var folder = new TempFolder();
        for (var i = 0; i < 70; i++)
            folder.File($"f{i:D2}.txt", i % 3 == 0 ? "A big match.\n\nGoal!" : "Stock market news.\n\nChip software.");
        using var alone = new TempFolder();
        alone.File("f07.txt", File.ReadAllText(Path.Combine(folder.Path, "f07.txt")));
        var engine = new BatchSensitiveEngine();
        var all = new StringWriter();
        var one = new StringWriter();

        await FolderLabeler.LabelAsync(engine, Request(folder.Path, TextUnit.Paragraph), new FolderCsvWriter(all), null,
            CancellationToken.None);
        await FolderLabeler.LabelAsync(engine, Request(alone.Path, TextUnit.Paragraph), new FolderCsvWriter(one), null,
            CancellationToken.None);

        var rows = all.ToString().Split("\r\n").Where(r => r.StartsWith("f07.txt,", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, rows.Count); // the document and its two paragraphs
        Assert.Equal(one.ToString().Split("\r\n").Skip(1).Where(r => r.Length > 0), rows);
    }

    /// <summary>The fake's labels, with probabilities that move with the number of texts per call, as a real encoder's last digits
    /// do.</summary>
    private sealed class BatchSensitiveEngine : ILabelingEngine
    {
        private readonly FakeLabelingEngine fake = new();
        public EngineStatus GetStatus() => fake.GetStatus();
        public Task<TrainResult> TrainAsync(TrainRequest request, IProgress<WorkProgress>? progress, CancellationToken cancellationToken) =>
            fake.TrainAsync(request, progress, cancellationToken);
        public Task<AgNewsLsp.Evaluation.EvaluationReport> EvaluateAsync(EvaluateRequest request, IProgress<WorkProgress>? progress,
            CancellationToken cancellationToken) =>
            fake.EvaluateAsync(request, progress, cancellationToken);
        public Embeddings Embed(IReadOnlyList<string> texts, AgNewsLsp.Settings.Pooling? pooling = null,
            IProgress<WorkProgress>? progress = null,
            CancellationToken cancellationToken = default) => fake.Embed(texts, pooling, progress, cancellationToken);

        public IReadOnlyList<Prediction> Classify(IReadOnlyList<string> texts, CancellationToken cancellationToken = default) =>
            fake.Classify(texts, cancellationToken)
                .Select(p => p with { Probabilities = p.Probabilities.Select(x => x + texts.Count * 1e-4f).ToArray() }).ToList();

        public (IReadOnlyList<Prediction> Predictions, IReadOnlyList<float[]> Vectors) ClassifyWithSentenceVectors(
            IReadOnlyList<string> texts, CancellationToken cancellationToken = default) =>
                (Classify(texts, cancellationToken), texts.Select(FakeLabelingEngine.SentenceVector).ToList());
    }

    private sealed class CountingWriter : IFolderRowWriter
    {
        private int rows;
        public List<int> RowsAtFlush { get; } = [];
        public void WriteHeader(IReadOnlyList<string> labelNames) { }
        public void WriteRow(FolderRow row) => rows++;
        public void Flush() => RowsAtFlush.Add(rows);
    }

    [Fact]
    public async Task A_cancelled_run_leaves_no_file_and_no_temp_file_and_the_old_output_stays()
    {
        using var folder = new TempFolder();
        for (var i = 0; i < FolderLabeler.BatchFiles * 3; i++) folder.File($"f{i:D4}.txt", "A big match.");
        using var outFolder = new TempFolder();
        var fresh = outFolder.Combine("new.csv");
        var existing = outFolder.File("old.csv", "the previous labels");
        using var cts = new CancellationTokenSource();
        // Cancel once the first batch is written: the run stops between batches.
        var progress = new InlineProgress<WorkProgress>(p => { if (p.Stage == "labelling" && p.Done > 0) cts.Cancel(); });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            ToFile(new FakeLabelingEngine(), Request(folder.Path), fresh, FolderOutputFormat.Csv, progress, cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            ToFile(new FakeLabelingEngine(), Request(folder.Path), existing, FolderOutputFormat.Jsonl, null, cts.Token));

        Assert.False(File.Exists(fresh));
        Assert.Equal("the previous labels", File.ReadAllText(existing));
        Assert.Equal(["old.csv"], Directory.GetFiles(outFolder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task An_output_inside_the_folder_is_not_labelled_itself()
    {
        using var folder = new TempFolder();
        folder.File("a.txt", "A big match.");
        folder.File("labels.txt", "the output of an earlier run, about the stock market");
        var summary = await ToFile(new FakeLabelingEngine(), Request(folder.Path, include: ["**/*"]), folder.Combine("labels.txt"),
            FolderOutputFormat.Csv);
        Assert.Equal(1, summary.FilesMatched);
        Assert.Equal(2, File.ReadAllLines(folder.Combine("labels.txt")).Length);
    }

    [Fact]
    public async Task An_empty_match_still_writes_a_header_and_a_missing_folder_is_an_error()
    {
        using var folder = new TempFolder();
        using var outFolder = new TempFolder();
        var output = outFolder.Combine("labels.csv");
        var summary = await ToFile(new FakeLabelingEngine(), Request(folder.Path), output, FolderOutputFormat.Csv);
        Assert.Equal(0, summary.FilesMatched);
        Assert.StartsWith("file,unit,startLine,endLine,label,probability,truncated", File.ReadAllText(output));
        await Assert.ThrowsAsync<DirectoryNotFoundException>(() =>
            ToFile(new FakeLabelingEngine(), Request(folder.Combine("nope")), output, FolderOutputFormat.Csv));
    }

    [Theory]
    [InlineData("csv", null, FolderOutputFormat.Csv)]
    [InlineData("JSONL", "x.csv", FolderOutputFormat.Jsonl)]
    [InlineData(null, "out/labels.jsonl", FolderOutputFormat.Jsonl)]
    [InlineData(null, "labels.CSV", FolderOutputFormat.Csv)]
    public void The_format_is_named_or_taken_from_the_output_extension(string? format, string? output, FolderOutputFormat expected) =>
        Assert.Equal(expected, FolderOutputFormats.Parse(format, output));

    [Fact]
    public void An_unknown_format_is_refused()
    {
        Assert.Throws<ArgumentException>(() => FolderOutputFormats.Parse("xml", null));
        Assert.Throws<ArgumentException>(() => FolderOutputFormats.Parse(null, "labels.txt"));
    }
}
