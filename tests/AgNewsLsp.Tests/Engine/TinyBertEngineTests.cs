using System.Text;
using AgNewsLsp.Engine;
using AgNewsLsp.Features;
using AgNewsLsp.Server.Cli;
using AgNewsLsp.Tests.Model;
using Parquet.Serialization;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Tests.Engine;

/// <summary>
/// The CLI and the engine on the tiny BERT fixture in PyTorch's legacy format (the form of bert-base-uncased's own file):
/// it loads, trains and classifies; agnews embed writes the vectors training reads; the no-head message runs as printed.
/// </summary>
public class TinyBertEngineTests : IDisposable
{
    private static readonly string Model = TinyBertParityTests.Folder("legacy");
    private readonly TempFolder _temp = new();
    private string Cache => _temp.Combine("cache");

    public void Dispose() => _temp.Dispose();

    private static (int Code, string Out, string Err) Run(params string[] args) => Cli.CliRun.Run("", args);

    /// <summary>The first rows of the shared AG News train split, as a file of their own.</summary>
    private string SmallTrainFile(int rows = 200)
    {
        var path = _temp.Combine("train.csv");
        File.WriteAllLines(path, File.ReadLines(TestPaths.AgNewsTrain).Take(rows));
        return path;
    }

    [Fact]
    public void No_head_message_names_the_model_and_its_command_runs_as_printed()
    {
        var text = "The team won the cup final after a late goal.";
        var (code, _, err) = Run("classify", text, "--model", Model, "--cache", Cache, "--precision", "fp32", "--quiet");
        Assert.Equal(CommandLine.Failed, code);
        const string lead = "Train one first: ";
        Assert.Contains(lead + $"agnews train --model {Model} --cache {Cache} --data DIR", err);

        // Run it as printed, with DIR filled in.
        var printed = err[(err.IndexOf(lead, StringComparison.Ordinal) + lead.Length)..];
        printed = printed[..printed.IndexOf(" (DIR:", StringComparison.Ordinal)];
        var words = printed.Split(' ').Select(w => w == "DIR" ? SmallTrainFile() : w).ToList();
        Assert.Equal("agnews", words[0]);
        var (trained, _, trainErr) = Run([.. words.Skip(1), "--precision", "fp32", "--quiet"]);
        Assert.True(trained == CommandLine.Ok, trainErr);

        var (classified, output, classifyErr) = Run("classify", text, "--model", Model, "--cache", Cache, "--precision", "fp32", "--quiet");
        Assert.True(classified == CommandLine.Ok, classifyErr);
        Assert.Contains(output.Split('\t')[0], AgNewsLsp.Data.AgNewsLabels.Names);
    }

    [Fact]
    public void A_head_for_another_model_is_refused_with_a_train_command_for_this_one_that_runs_as_printed()
    {
        var text = "Shares fell as the bank reported lower profit.";
        var otherModelsHead = AgNewsLsp.Engine.LabelingEngine.ShippedHeadPath; // made for the embedded default
        var before = File.ReadAllBytes(otherModelsHead);
        var (code, _, err) = Run("classify", text, "--model", Model, "--head", otherModelsHead, "--cache", Cache, "--precision", "fp32",
            "--quiet");
        Assert.Equal(CommandLine.Failed, code);
        var command = $"agnews train --model {Model} --cache {Cache} --data DIR";
        Assert.Contains($"Train a head for this model ({command}) and use it instead", err);

        var words = command.Split(' ').Skip(1).Select(w => w == "DIR" ? SmallTrainFile() : w);
        var (trained, _, trainErr) = Run([.. words, "--precision", "fp32", "--quiet"]);
        Assert.True(trained == CommandLine.Ok, trainErr);
        Assert.Equal(before, File.ReadAllBytes(otherModelsHead)); // the other model's head was not trained over
        var (classified, _, classifyErr) = Run("classify", text, "--model", Model, "--cache", Cache, "--precision", "fp32", "--quiet");
        Assert.True(classified == CommandLine.Ok, classifyErr);
    }

    [Fact]
    public async Task A_replaced_head_is_disposed_once_no_request_uses_it_over_twenty_retrains()
    {
        var data = SmallTrainFile(120);
        using var engine = await LabelingEngine.CreateAsync(
            new EngineSettings { Model = Model, CacheRoot = Cache, Precision = Precision.Fp32 });
        var request = new TrainRequest([data], HeadKind.Linear, MaxEpochs: 2, OutputHeadPath: _temp.Combine("head.json"));
        await engine.TrainAsync(request, null, CancellationToken.None);
        var replaced = new List<Task>();
        for (var run = 0; run < 20; run++)
        {
            replaced.Add(engine.ServedHeadDisposed); // the head served now, which the next run replaces
            await engine.TrainAsync(request, null, CancellationToken.None);
        }
        // Each replaced head's native memory is given back (its module disposed), not left to a finalizer.
        var all = Task.WhenAll(replaced);
        Assert.Same(all, await Task.WhenAny(all, Task.Delay(TimeSpan.FromMinutes(1))));
        Assert.False(engine.ServedHeadDisposed.IsCompleted); // the head served now stays
        Assert.Single(engine.Classify(["The team won the final."]));
    }

    [Fact]
    public void Rows_of_one_class_are_refused_before_any_work_and_no_head_is_written()
    {
        var data = _temp.Combine("one-class.csv");
        File.WriteAllLines(data,
            File.ReadLines(TestPaths.AgNewsTrain).Where(l => l.StartsWith("\"2\"", StringComparison.Ordinal)).Take(50));
        var head = _temp.Combine("head.json");
        var (code, _, err) = Run("train", "--model", Model, "--cache", Cache, "--head", head, "--data", data, "--precision", "fp32",
            "--quiet");
        Assert.Equal(CommandLine.Failed, code);
        Assert.Contains("one class only (Sports)", err);
        Assert.False(File.Exists(head));
        Assert.False(Directory.Exists(Path.Combine(Cache, "features"))); // refused before any feature was computed
    }

    [Fact]
    public void Train_does_not_load_the_head_it_replaces()
    {
        // The head file named by --head holds another model's head: loading it would refuse the model, but training
        // replaces it, so train never loads it (nor spends the time to).
        var head = _temp.Combine("head.json");
        File.Copy(AgNewsLsp.Engine.LabelingEngine.ShippedHeadPath, head);
        var (trained, _, err) = Run("train", "--model", Model, "--cache", Cache, "--head", head, "--data", SmallTrainFile(), "--precision",
            "fp32", "--quiet");
        Assert.True(trained == CommandLine.Ok, err);
        var (classified, _, classifyErr) = Run("classify", "The striker scored twice.", "--model", Model, "--cache", Cache, "--head", head,
            "--precision", "fp32", "--quiet");
        Assert.True(classified == CommandLine.Ok, classifyErr); // the head now belongs to this model
    }

    [Fact]
    public async Task Embed_writes_the_vectors_training_reads_as_npy_with_ids_and_as_parquet()
    {
        var data = SmallTrainFile(60);
        var npy = _temp.Combine("out/vectors.npy");
        var parquet = _temp.Combine("out/vectors.parquet");
        string[] common = ["--model", Model, "--cache", Cache, "--precision", "fp32", "--pooling", "mean", "--quiet"];
        var (code, _, err) = Run(["embed", data, "--out", npy, .. common]);
        Assert.True(code == CommandLine.Ok, err);
        (code, _, err) = Run(["embed", data, "--out", parquet, .. common]);
        Assert.True(code == CommandLine.Ok, err);

        var (shape, vectors) = ReadNpy(npy);
        Assert.Equal((60, 32), shape);
        var ids = File.ReadAllLines(EmbeddingWriter.IdsPathFor(npy));
        Assert.Equal("row\tid\tlabel", ids[0]);
        var rows = AgNewsLsp.Data.LabeledDataReader.ReadFile(data).Rows;
        for (int i = 0; i < rows.Count; i++)
            Assert.Equal($"{i}\t{i}\t{AgNewsLsp.Data.AgNewsLabels.Names[rows[i].Label]}", ids[i + 1]);

        using var engine = await LabelingEngine.CreateAsync(
            new EngineSettings { Model = Model, CacheRoot = Cache, Precision = Precision.Fp32 });
        var texts = rows.Select(r => r.Text).ToArray();
        // What training reads (the feature cache the run above filled) is bit for bit what was written ...
        var trainingFeatures = engine.ExtractFeatures(texts, [Pooling.Mean])[Pooling.Mean];
        for (int i = 0; i < texts.Length; i++) Assert.Equal(trainingFeatures[i], vectors[i]);
        // ... and what the encoder computes afresh, batched differently, agrees to float rounding.
        var fresh = engine.Encoder.Encode(texts, [Pooling.Mean]).ByPooling[Pooling.Mean];
        for (int i = 0; i < texts.Length; i++)
            Assert.True(fresh[i].Zip(vectors[i]).Max(p => Math.Abs(p.First - p.Second)) < 1e-5, $"row {i}");

        await using var parquetFile = File.OpenRead(parquet);
        var fromParquet = (await ParquetSerializer.DeserializeAsync<ParquetRow>(parquetFile)).Data;
        Assert.Equal(60, fromParquet.Count);
        for (int i = 0; i < fromParquet.Count; i++)
        {
            Assert.Equal(i, fromParquet[i].row);
            Assert.Equal(AgNewsLsp.Data.AgNewsLabels.Names[rows[i].Label], fromParquet[i].label);
            Assert.Equal(vectors[i], fromParquet[i].embedding);
        }
    }

    [Fact]
    public void Embed_of_a_text_file_ids_each_line_by_its_number_and_skips_blank_lines()
    {
        var input = _temp.File("notes.txt", "Oil prices rose.\n\n  \nThe match ended late.\n");
        var npy = _temp.Combine("notes.npy");
        var (code, output, err) = Run("embed", input, "--out", npy, "--model", Model, "--cache", Cache, "--precision", "fp32", "--quiet");
        Assert.True(code == CommandLine.Ok, err);
        Assert.Contains("cls-last4", output); // the default pooling, as training uses
        Assert.Equal((2, 4 * 32), ReadNpy(npy).Shape);
        Assert.Equal(["row\tid\tlabel", "0\t1\t", "1\t4\t"], File.ReadAllLines(EmbeddingWriter.IdsPathFor(npy)));
    }

    [Fact]
    public void Embed_refuses_other_outputs_and_empty_inputs_without_writing()
    {
        var input = _temp.File("empty.txt", "\n\n");
        Assert.Equal(CommandLine.Usage, Run("embed", input, "--out", _temp.Combine("x.csv")).Code);
        var npy = _temp.Combine("empty.npy");
        var (code, _, err) = Run("embed", input, "--out", npy, "--model", Model, "--cache", Cache, "--quiet");
        Assert.Equal(CommandLine.Failed, code);
        Assert.Contains("no texts to embed", err);
        Assert.False(File.Exists(npy));
    }

    public sealed class ParquetRow
    {
        public long row { get; set; }
        public long id { get; set; }
        public string? label { get; set; }
        public float[] embedding { get; set; } = [];
    }

    /// <summary>Reads an .npy file of float32 in C order, by the format's spec (not by the writer's code).</summary>
    internal static ((int Rows, int Columns) Shape, float[][] Rows) ReadNpy(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(0x93, bytes[0]);
        Assert.Equal("NUMPY", Encoding.ASCII.GetString(bytes, 1, 5));
        int headerLength = BitConverter.ToUInt16(bytes, 8);
        Assert.Equal(0, (10 + headerLength) % 64);
        var header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.Contains("'descr': '<f4'", header);
        Assert.Contains("'fortran_order': False", header);
        var shape = header[(header.IndexOf("'shape': (", StringComparison.Ordinal) + 10)..];
        var dims = shape[..shape.IndexOf(')')].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(int.Parse).ToArray();
        int start = 10 + headerLength;
        Assert.Equal(dims[0] * dims[1] * 4, bytes.Length - start);
        var rows = Enumerable.Range(0, dims[0])
            .Select(r =>
                System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan(start + r * dims[1] * 4, dims[1] * 4))
                    .ToArray()).ToArray();
        return ((dims[0], dims[1]), rows);
    }
}
