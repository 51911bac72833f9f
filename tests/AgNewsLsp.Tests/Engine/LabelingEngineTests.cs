using AgNewsLsp.Engine;
using AgNewsLsp.Training;
using AgNewsLsp.Progress;

namespace AgNewsLsp.Tests.Engine;

[Collection(TrainedEngineCollection.Name)]
public class LabelingEngineTests(TrainedEngineFixture fixture)
{
    private LabelingEngine Engine => fixture.Engine;

    [Fact]
    public void Training_saves_a_head_that_labels_news_by_topic()
    {
        Assert.Equal(fixture.HeadPath, fixture.FirstTraining.HeadPath);
        Assert.True(File.Exists(fixture.HeadPath));
        Assert.True(fixture.FirstTraining.Validation.Accuracy > 0.75, $"validation accuracy {fixture.FirstTraining.Validation.Accuracy}");
        var predictions = Engine.Classify([
            "The Yankees beat the Red Sox 5-3 in extra innings as the pitcher struck out ten batters.",
            "Intel unveils a faster chip for laptops and a new software toolkit for developers.",
            "Oil prices climbed as shares fell on Wall Street after the quarterly earnings report.",
            "Rebels attacked the capital as the prime minister called for talks with the United Nations.",
        ]);
        Assert.Equal(["Sports", "Sci/Tech", "Business", "World"], predictions.Select(p => p.Label));
        foreach (var p in predictions)
        {
            Assert.Equal(1.0, p.Probabilities.Sum(), 3);
            Assert.Equal(p.Probabilities.Max(), p.Probabilities[p.LabelIndex]);
        }
    }

    [Fact]
    public async Task Status_says_what_its_metrics_measured_the_validation_rows_or_an_evaluated_file()
    {
        using var restoreHead = fixture.RestoresHead();
        Engine.UseHead(fixture.HeadPath);
        Assert.Null(Engine.GetStatus().LastMetricsData); // the head's own validation report
        using var folder = new TempFolder();
        var sample = folder.Combine("sample-test.csv");
        File.WriteAllLines(sample, File.ReadLines(TestPaths.AgNewsTest).Take(120));
        await Engine.EvaluateAsync(new EvaluateRequest([sample]), null, CancellationToken.None);
        Assert.Equal("sample-test.csv", Engine.GetStatus().LastMetricsData);
        Assert.Equal(120, Engine.GetStatus().LastMetrics!.Count);
    }

    [Fact]
    public void A_text_classified_again_comes_from_the_heads_prediction_cache_and_a_new_head_starts_afresh()
    {
        using var restoreHead = fixture.RestoresHead();
        Engine.UseHead(fixture.HeadPath);
        const string text = "The central bank raised interest rates again to fight inflation this quarter.";
        var first = Engine.Classify([text, "A second, different paragraph about football."]);
        var again = Engine.Classify(["Something new about chips and software.", text]);
        Assert.Same(first[0], again[1]); // not encoded again
        Engine.UseHead(fixture.HeadPath); // the same file loaded anew is a new head, with its own cache
        var fresh = Engine.Classify([text])[0];
        Assert.NotSame(first[0], fresh);
        for (var i = 0; i < fresh.Probabilities.Length; i++)
            Assert.Equal(first[0].Probabilities[i], fresh.Probabilities[i], 1e-5); // batch padding moves the last digits
    }

    [Fact]
    public async Task Same_seed_and_data_give_the_same_head()
    {
        using var restoreHead = fixture.RestoresHead();
        using var folder = new TempFolder();
        var a = Path.Combine(folder.Path, "a.json");
        var b = Path.Combine(folder.Path, "b.json");
        await Engine.TrainAsync(new TrainRequest([TestPaths.AgNewsTrain], Limit: 600, Seed: 7, OutputHeadPath: a), null,
            CancellationToken.None);
        await Engine.TrainAsync(new TrainRequest([TestPaths.AgNewsTrain], Limit: 600, Seed: 7, OutputHeadPath: b), null,
            CancellationToken.None);
        var ha = HeadFile.Load(a);
        var hb = HeadFile.Load(b);
        Assert.Equal(ha.History.Length, hb.History.Length);
        foreach (var (name, tensor) in ha.Tensors)
            Assert.Equal(tensor.Data, hb.Tensors[name].Data);
    }

    [Fact]
    public async Task Training_progress_rises_across_its_stages()
    {
        using var restoreHead = fixture.RestoresHead();
        using var folder = new TempFolder();
        var overall = new List<double>();
        var progress = new InlineProgress<WorkProgress>(p => { if (p.OverallPercent is { } o) overall.Add(o); });
        await Engine.TrainAsync(new TrainRequest([TestPaths.AgNewsTrain], Limit: 700, OutputHeadPath: Path.Combine(folder.Path, "p.json")),
            progress, CancellationToken.None);
        Assert.NotEmpty(overall);
        Assert.Equal(overall.OrderBy(x => x), overall); // never goes back when a new stage starts
        Assert.True(overall[^1] > 90, $"ends at {overall[^1]}");
    }

    [Fact]
    public async Task Cancelled_training_leaves_the_previous_head_loaded_and_on_disk()
    {
        Engine.UseHead(fixture.HeadPath);
        var before = File.ReadAllBytes(fixture.HeadPath);
        var probe = Engine.Classify(["Stocks rallied after the central bank cut interest rates."])[0].Probabilities;
        using var cancel = new CancellationTokenSource();
        var progress = new InlineProgress<WorkProgress>(p => { if (p.Stage == "training") cancel.Cancel(); });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Engine.TrainAsync(new TrainRequest([TestPaths.AgNewsTrain], Limit: 800, Seed: 99), progress, cancel.Token));
        Assert.Equal(before, File.ReadAllBytes(fixture.HeadPath));
        Assert.Equal(fixture.HeadPath, Engine.HeadPath);
        Assert.Equal(probe, Engine.Classify(["Stocks rallied after the central bank cut interest rates."])[0].Probabilities);
        Assert.False(Engine.GetStatus().Training);
    }

    [Fact]
    public async Task A_second_training_run_while_one_runs_is_refused_and_classify_keeps_answering()
    {
        using var restoreHead = fixture.RestoresHead();
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        using var folder = new TempFolder();
        var progress = new InlineProgress<WorkProgress>(p =>
        {
            if (p.Stage != "training") return;
            started.Set();
            release.Wait(TimeSpan.FromSeconds(30));
        });
        var first = Engine.TrainAsync(new TrainRequest([TestPaths.AgNewsTrain], Limit: 400,
            OutputHeadPath: Path.Combine(folder.Path, "x.json")), progress, CancellationToken.None);
        try
        {
            Assert.True(started.Wait(TimeSpan.FromSeconds(60)));
            Assert.True(Engine.GetStatus().Training);
            var busy = await Assert.ThrowsAsync<EngineBusyException>(() =>
                Engine.TrainAsync(new TrainRequest([TestPaths.AgNewsTrain]), null, CancellationToken.None));
            Assert.Contains("already running", busy.Message);
            Assert.Equal("Sports",
                Engine.Classify(["The quarterback threw three touchdown passes as the Patriots won the NFL game."])[0].Label);
        }
        finally
        {
            release.Set();
            await first;
        }
        Assert.False(Engine.GetStatus().Training);
    }

    [Fact]
    public void A_head_made_for_another_model_is_refused_with_a_clear_message()
    {
        using var folder = new TempFolder();
        var foreign = Path.Combine(folder.Path, "foreign.json");
        (HeadFile.Load(fixture.HeadPath) with { ModelName = "bert-base-uncased", ModelFingerprint = "0123456789abcdef" }).Save(foreign);
        var e = Assert.Throws<HeadForAnotherModelException>(() => Engine.UseHead(foreign));
        Assert.Contains("bert-base-uncased", e.Message);
        Assert.Contains("trained for model", e.Message);
        Assert.Equal(fixture.HeadPath, Engine.HeadPath);
    }

    [Fact]
    public void A_corrupt_head_file_is_refused()
    {
        using var folder = new TempFolder();
        var bad = Path.Combine(folder.Path, "bad.json");
        File.WriteAllText(bad, "{ this is not json");
        Assert.Throws<InvalidDataException>(() => Engine.UseHead(bad));
        Assert.Throws<FileNotFoundException>(() => Engine.UseHead(Path.Combine(folder.Path, "missing.json")));
    }

    [Fact]
    public void Long_texts_are_truncated_and_say_so()
    {
        var longText = string.Join(' ', Enumerable.Repeat("The team won the match in overtime.", 60));
        var p = Engine.Classify([longText, "Short sports text about a football match."]);
        Assert.True(p[0].Truncated);
        Assert.True(p[0].TokenCount > Engine.Encoder.MaxTokens);
        Assert.False(p[1].Truncated);
    }

    [Fact]
    public async Task Evaluate_reports_metrics_on_a_labelled_file()
    {
        var report = await Engine.EvaluateAsync(new EvaluateRequest([TestPaths.AgNewsTest], Limit: 400), null, CancellationToken.None);
        Assert.Equal(400, report.Count);
        Assert.True(report.Accuracy > 0.75, $"accuracy {report.Accuracy}");
        Assert.Equal(400, report.ConfusionMatrix.Sum(r => r.Sum()));
        Assert.Equal(report.Accuracy, Enumerable.Range(0, 4).Sum(i => report.ConfusionMatrix[i][i]) / 400.0, 6);
    }
}
