using System.Text.Json;
using AgNewsLsp.Server.Protocol;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Tests.Protocol;

public class ProgressAndCancellationTests
{
    private static List<JsonElement> ProgressOf(LspTestClient client, string token) =>
        client.Target.Progress.Where(p => p.Token == token).Select(p => p.Value).ToList();

    /// <summary>
    /// The server sends "end" before the response, but the client may dispatch the response before it has run
    /// the notification handler: wait for "end" to be recorded.
    /// </summary>
    private static async Task<List<JsonElement>> CompletedProgressOf(LspTestClient client, string token)
    {
        await LifecycleTests.WaitUntil(() => ProgressOf(client, token).Any(v => v.GetProperty("kind").GetString() == "end"));
        return ProgressOf(client, token);
    }

    private static void AssertBeginReportsEnd(List<JsonElement> values, int minReports)
    {
        Assert.Equal("begin", values[0].GetProperty("kind").GetString());
        Assert.True(values[0].GetProperty("cancellable").GetBoolean());
        Assert.Equal(0, values[0].GetProperty("percentage").GetInt32());
        Assert.False(string.IsNullOrEmpty(values[0].GetProperty("title").GetString()));
        Assert.Equal("end", values[^1].GetProperty("kind").GetString());
        var reports = values.Skip(1).SkipLast(1).ToList();
        Assert.True(reports.Count >= minReports, $"expected at least {minReports} reports, got {reports.Count}");
        Assert.All(reports, r => Assert.Equal("report", r.GetProperty("kind").GetString()));
        var percentages = reports.Select(r => r.GetProperty("percentage").GetInt32()).ToList();
        Assert.Equal(percentages.Order(), percentages);
        Assert.All(percentages, p => Assert.InRange(p, 0, 100));
    }

    [Fact]
    public async Task Train_creates_a_token_and_reports_begin_reports_end_in_order()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync(workDoneProgress: true, initializationOptions: new { progressThrottleMs = 0 });
        await client.RequestAsync("agnews/train", new { dataPath = "train.csv" });
        var token = Assert.Single(client.Target.CreatedTokens);
        var values = await CompletedProgressOf(client, token);
        AssertBeginReportsEnd(values, minReports: 5);
        Assert.Equal("features 5/5", values[^2].GetProperty("message").GetString());
        Assert.Equal(100, values[^2].GetProperty("percentage").GetInt32());
    }

    [Fact]
    public async Task Client_token_is_used_without_create()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync(workDoneProgress: true, initializationOptions: new { progressThrottleMs = 0 });
        await client.RequestAsync("agnews/evaluate", new { dataPath = "test.csv", workDoneToken = "eval-1" });
        Assert.Empty(client.Target.CreatedTokens);
        AssertBeginReportsEnd(await CompletedProgressOf(client, "eval-1"), minReports: 3);
    }

    [Fact]
    public async Task Without_the_capability_or_a_token_no_progress_is_sent()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync(workDoneProgress: false);
        await client.RequestAsync("agnews/train", new { dataPath = "train.csv" });
        Assert.Empty(client.Target.CreatedTokens);
        Assert.Empty(client.Target.Progress);
    }

    [Fact]
    public async Task Reports_are_throttled()
    {
        var engine = new FakeLabelingEngine { TrainSteps = 50, StepDelay = TimeSpan.FromMilliseconds(1) };
        await using var client = new LspTestClient(engine);
        await client.InitializedAsync(initializationOptions: new { progressThrottleMs = 10_000 });
        await client.RequestAsync("agnews/train", new { dataPath = "train.csv", workDoneToken = 42 });
        var values = await CompletedProgressOf(client, "42");
        // begin, the first report, the final one (always sent), end
        Assert.InRange(values.Count, 3, 4);
        AssertBeginReportsEnd(values, minReports: 1);
    }

    [Fact]
    public async Task An_epochs_summary_is_never_throttled_away()
    {
        var engine = new FakeLabelingEngine { TrainSteps = 50, StepDelay = TimeSpan.FromMilliseconds(1), SummaryEvery = 10 };
        await using var client = new LspTestClient(engine);
        await client.InitializedAsync(initializationOptions: new { progressThrottleMs = 10_000 });
        await client.RequestAsync("agnews/train", new { dataPath = "train.csv", workDoneToken = 43 });
        var messages = (await CompletedProgressOf(client, "43")).Where(v => v.GetProperty("kind").GetString() == "report")
            .Select(v => v.GetProperty("message").GetString()).ToList();
        Assert.Equal(["epoch 1", "epoch 2", "epoch 3", "epoch 4", "epoch 5"], messages.Where(m => m!.StartsWith("epoch")));
    }

    [Fact]
    public async Task CancelRequest_cancels_training_and_the_previous_head_stays()
    {
        var engine = new FakeLabelingEngine { HoldTraining = new() };
        await using var client = new LspTestClient(engine);
        await client.InitializedAsync(workDoneProgress: true);
        using var cts = new CancellationTokenSource();
        var started = engine.TrainingStarted.Task;
        var train = client.RequestAsync("agnews/train", new { dataPath = "train.csv" }, cts.Token);
        await started.WaitAsync(TimeSpan.FromSeconds(10));
        // The work starts without waiting for the client to create the progress token (WorkDoneProgress.Begin): cancel
        // once the client has it, or a loaded machine may cancel before the create request is even written.
        await LifecycleTests.WaitUntil(() => !client.Target.CreatedTokens.IsEmpty);
        cts.Cancel(); // StreamJsonRpc sends $/cancelRequest { id }
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => train);
        await LifecycleTests.WaitUntil(() => engine.TrainCancelled);
        Assert.False(engine.GetStatus().Training);
        var token = Assert.Single(client.Target.CreatedTokens);
        await LifecycleTests.WaitUntil(() => ProgressOf(client, token).Any(v => v.GetProperty("kind").GetString() == "end"));
        Assert.Equal("cancelled", ProgressOf(client, token)[^1].GetProperty("message").GetString());
        // serving goes on, and a new training may start
        engine.HoldTraining = null;
        await client.RequestAsync("agnews/train", new { dataPath = "train.csv" });
    }

    [Fact]
    public async Task A_work_done_token_already_in_use_is_refused()
    {
        var engine = new FakeLabelingEngine { HoldTraining = new() };
        await using var client = new LspTestClient(engine);
        await client.InitializedAsync();
        var started = engine.TrainingStarted.Task;
        var train = client.RequestAsync("agnews/train", new { dataPath = "train.csv", workDoneToken = "shared" });
        await started.WaitAsync(TimeSpan.FromSeconds(10));
        var (code, message) = await LspTestClient.ErrorOf(() =>
            client.RequestAsync("agnews/evaluate", new { dataPath = "test.csv", workDoneToken = "shared" }));
        Assert.Equal(ErrorCodes.InvalidParams, code);
        Assert.Contains("already in use", message);
        engine.HoldTraining!.SetResult();
        await train;
    }

    [Fact]
    public async Task WorkDoneProgress_cancel_cancels_training_with_RequestCancelled()
    {
        var engine = new FakeLabelingEngine { HoldTraining = new() };
        await using var client = new LspTestClient(engine);
        await client.InitializedAsync();
        var started = engine.TrainingStarted.Task;
        var train = client.RequestAsync("agnews/train", new { dataPath = "train.csv", workDoneToken = "train-7" });
        await started.WaitAsync(TimeSpan.FromSeconds(10));
        await client.Target.WaitForProgressAsync("begin");
        await client.NotifyAsync("window/workDoneProgress/cancel", new { token = "train-7" });
        int code;
        try
        {
            await train;
            throw new Xunit.Sdk.XunitException("expected cancellation");
        }
        catch (StreamJsonRpc.RemoteInvocationException ex) { code = ex.ErrorCode; }
        catch (OperationCanceledException) { code = ErrorCodes.RequestCancelled; }
        Assert.Equal(ErrorCodes.RequestCancelled, code);
        Assert.True(engine.TrainCancelled);
    }

    [Fact]
    public async Task Second_train_while_one_runs_is_busy()
    {
        var engine = new FakeLabelingEngine { HoldTraining = new() };
        await using var client = new LspTestClient(engine);
        await client.InitializedAsync();
        var started = engine.TrainingStarted.Task;
        var first = client.RequestAsync("agnews/train", new { dataPath = "train.csv" });
        await started.WaitAsync(TimeSpan.FromSeconds(10));
        var (code, message) = await LspTestClient.ErrorOf(() => client.RequestAsync("agnews/train", new { dataPath = "train.csv" }));
        Assert.Equal(ErrorCodes.Busy, code);
        Assert.Equal("training already running", message);
        Assert.Equal(ErrorCodes.Busy, await LspTestClient.ErrorCodeOf(() =>
            client.RequestAsync("workspace/executeCommand",
                new { command = "agnews/train", arguments = new object[] { new { dataPath = "t.csv" } } })));
        engine.HoldTraining!.SetResult();
        await first;
    }

    [Fact]
    public async Task Hovers_and_classify_answer_while_training_runs()
    {
        var engine = new FakeLabelingEngine { HoldTraining = new() };
        await using var client = new LspTestClient(engine);
        await client.InitializedAsync();
        await client.OpenAsync("file:///h.txt", "A big match tonight.\n\nStock market news.");
        var started = engine.TrainingStarted.Task;
        var train = client.RequestAsync("agnews/train", new { dataPath = "train.csv" });
        await started.WaitAsync(TimeSpan.FromSeconds(10));

        var hovers = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => client.HoverAsync("file:///h.txt", i % 2 == 0 ? 0 : 2, 1)));
        Assert.All(hovers.Where((_, i) => i % 2 == 0),
            h => Assert.StartsWith("**Sports**", h.GetProperty("contents").GetProperty("value").GetString()));
        Assert.All(hovers.Where((_, i) => i % 2 == 1),
            h => Assert.StartsWith("**Business**", h.GetProperty("contents").GetProperty("value").GetString()));
        var status = await client.RequestAsync("agnews/status", new { });
        Assert.True(status.GetProperty("training").GetBoolean());
        Assert.False(train.IsCompleted);

        engine.HoldTraining!.SetResult();
        await train;
    }
}
