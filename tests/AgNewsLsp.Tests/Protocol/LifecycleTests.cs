using System.Text.Json;
using AgNewsLsp.Server.Protocol;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Tests.Protocol;

public class LifecycleTests
{
    [Fact]
    public async Task Initialize_advertises_hover_incremental_sync_and_commands()
    {
        await using var client = new LspTestClient();
        var result = await client.InitializeAsync();
        var caps = result.GetProperty("capabilities");
        Assert.True(caps.GetProperty("hoverProvider").GetBoolean());
        Assert.Equal(2, caps.GetProperty("textDocumentSync").GetProperty("change").GetInt32());
        Assert.True(caps.GetProperty("textDocumentSync").GetProperty("openClose").GetBoolean());
        var commands = caps.GetProperty("executeCommandProvider").GetProperty("commands").EnumerateArray()
            .Select(c => c.GetString()).ToList();
        Assert.Equal(["agnews/classify", "agnews/correct", "agnews/evaluate", "agnews/labelDocument", "agnews/labelFolder", "agnews/status",
            "agnews/suggest", "agnews/train", "agnews/undoCorrection"], commands); // one per handler that declares a command
        Assert.True(caps.GetProperty("codeActionProvider").GetBoolean());
        Assert.Equal("agnews", result.GetProperty("serverInfo").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Requests_before_initialize_get_ServerNotInitialized()
    {
        await using var client = new LspTestClient();
        Assert.Equal(ErrorCodes.ServerNotInitialized, await LspTestClient.ErrorCodeOf(() => client.RequestAsync("agnews/status", new { })));
        Assert.Equal(ErrorCodes.ServerNotInitialized, await LspTestClient.ErrorCodeOf(() => client.HoverAsync("file:///x", 0, 0)));
        Assert.Equal(ErrorCodes.ServerNotInitialized, await LspTestClient.ErrorCodeOf(() => client.RequestAsync("shutdown", null)));
        await client.InitializedAsync();
        var status = await client.RequestAsync("agnews/status", new { });
        Assert.Equal("fake-minilm", status.GetProperty("modelName").GetString());
    }

    [Fact]
    public async Task Second_initialize_is_an_invalid_request()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        Assert.Equal(ErrorCodes.InvalidRequest, await LspTestClient.ErrorCodeOf(() => client.InitializeAsync()));
    }

    [Fact]
    public async Task After_shutdown_requests_are_invalid_and_exit_returns_0()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        var result = await client.RequestAsync("shutdown", null);
        Assert.Equal(JsonValueKind.Null, result.ValueKind);
        Assert.Equal(ErrorCodes.InvalidRequest, await LspTestClient.ErrorCodeOf(() => client.RequestAsync("agnews/status", new { })));
        Assert.Equal(ErrorCodes.InvalidRequest, await LspTestClient.ErrorCodeOf(() => client.HoverAsync("file:///x", 0, 0)));
        await client.NotifyAsync("exit", null);
        Assert.Equal(0, await client.Served.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Exit_without_shutdown_returns_1()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        await client.NotifyAsync("exit", null);
        Assert.Equal(1, await client.Served.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Client_vanishing_mid_training_ends_the_session_and_cancels_the_work()
    {
        var engine = new FakeLabelingEngine { HoldTraining = new() };
        await using var client = new LspTestClient(engine);
        await client.InitializedAsync();
        var started = engine.TrainingStarted.Task;
        _ = client.RequestAsync("agnews/train", new { dataPath = "train.csv" });
        await started.WaitAsync(TimeSpan.FromSeconds(10));
        client.Vanish();
        Assert.Equal(0, await client.Served.WaitAsync(TimeSpan.FromSeconds(10)));
        // disposing the session waits for the cancelled run to unwind, so the host may then dispose the engine
        await client.Session.DisposeAsync();
        Assert.True(engine.TrainCancelled);
        Assert.False(engine.GetStatus().Training);
    }

    [Fact]
    public async Task InitializationOptions_of_the_wrong_type_are_invalid_params()
    {
        await using var client = new LspTestClient();
        Assert.Equal(ErrorCodes.InvalidParams, await LspTestClient.ErrorCodeOf(() =>
            client.InitializeAsync(initializationOptions: new { hoverUnit = "word" })));
        Assert.Equal(ErrorCodes.InvalidParams, await LspTestClient.ErrorCodeOf(() =>
            client.InitializeAsync(initializationOptions: new { maxTokens = new[] { 1 } })));
        // still not initialized, and a good initialize works
        await client.InitializeAsync(initializationOptions: new { hoverUnit = "line" });
    }

    internal static async Task WaitUntil(Func<bool> condition, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline) throw new TimeoutException("condition not met");
            await Task.Delay(10);
        }
    }
}
