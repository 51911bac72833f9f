using System.Text.Json;
using AgNewsLsp.Engine;
using AgNewsLsp.Server.Protocol;
using AgNewsLsp.Settings;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Tests.Protocol;

public class RequestTests
{
    [Fact]
    public async Task Classify_one_text_and_many()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        var one = await client.RequestAsync("agnews/classify", new { text = "Stock markets rallied" });
        var p = one.GetProperty("predictions").EnumerateArray().Single();
        Assert.Equal("Business", p.GetProperty("label").GetString());
        Assert.Equal(2, p.GetProperty("labelIndex").GetInt32());
        Assert.Equal(0.7, p.GetProperty("probabilities").GetProperty("Business").GetDouble(), 5);
        Assert.Equal(0.1, p.GetProperty("probabilities").GetProperty("Sci/Tech").GetDouble(), 5);
        Assert.False(p.GetProperty("truncated").GetBoolean());
        Assert.True(p.GetProperty("tokenCount").GetInt32() > 0);

        var many = await client.RequestAsync("agnews/classify", new { texts = new[] { "a match", "new chip", "the summit" } });
        Assert.Equal(["Sports", "Sci/Tech", "World"],
            many.GetProperty("predictions").EnumerateArray().Select(x => x.GetProperty("label").GetString()));

        var none = await client.RequestAsync("agnews/classify", new { texts = Array.Empty<string>() });
        Assert.Empty(none.GetProperty("predictions").EnumerateArray());
    }

    [Fact]
    public async Task Classify_at_a_position_uses_the_hover_unit_of_the_open_document()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        const string uri = "file:///doc.txt";
        await client.OpenAsync(uri, "The match ended late\nwith a goal.\n\nStock markets fell.\n\nok\n");
        object At(int line) => new { textDocument = new { uri }, position = new { line, character = 1 } };
        var sports = await client.RequestAsync("agnews/classify", At(1));
        Assert.Equal("Sports", sports.GetProperty("predictions")[0].GetProperty("label").GetString());
        var business = await client.RequestAsync("agnews/classify", At(3));
        Assert.Equal("Business", business.GetProperty("predictions")[0].GetProperty("label").GetString());
        Assert.Empty((await client.RequestAsync("agnews/classify", At(2))).GetProperty("predictions").EnumerateArray()); // blank
        Assert.Empty((await client.RequestAsync("agnews/classify", At(5))).GetProperty("predictions").EnumerateArray()); // tiny
        var (code, _) = await LspTestClient.ErrorOf(() => client.RequestAsync("agnews/classify",
            new { textDocument = new { uri = "file:///closed.txt" }, position = new { line = 0, character = 0 } }));
        Assert.Equal(ErrorCodes.BadInput, code);
        var (missing, _) = await LspTestClient.ErrorOf(() => client.RequestAsync("agnews/classify", new { textDocument = new { uri } }));
        Assert.Equal(ErrorCodes.InvalidParams, missing);
    }

    [Fact]
    public async Task Classify_needs_exactly_one_of_text_and_texts()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        Assert.Equal(ErrorCodes.InvalidParams, await LspTestClient.ErrorCodeOf(() => client.RequestAsync("agnews/classify", new { })));
        Assert.Equal(ErrorCodes.InvalidParams, await LspTestClient.ErrorCodeOf(() =>
            client.RequestAsync("agnews/classify", new { text = "a", texts = new[] { "b" } })));
    }

    [Fact]
    public async Task LabelDocument_whole_document_and_paragraphs_with_ranges_and_diagnostics()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        const string uri = "file:///doc.txt";
        await client.OpenAsync(uri, "Stock markets fell.\r\n\r\n  The match was won late.\r\nGoal!\r\n\r\nx\r\n");
        var doc = await client.RequestAsync("agnews/labelDocument", new { uri });
        Assert.Equal(uri, doc.GetProperty("uri").GetString());
        Assert.True(doc.TryGetProperty("document", out _));
        Assert.False(doc.TryGetProperty("paragraphs", out var none) && none.ValueKind != JsonValueKind.Null);

        var result = await client.RequestAsync("agnews/labelDocument", new { uri, unit = "paragraph" });
        var paragraphs = result.GetProperty("paragraphs").EnumerateArray().ToList();
        Assert.Equal(2, paragraphs.Count); // "x" is too small to label
        Assert.Equal("Business", paragraphs[0].GetProperty("prediction").GetProperty("label").GetString());
        Assert.Equal("Sports", paragraphs[1].GetProperty("prediction").GetProperty("label").GetString());
        Assert.Equal("The match was won late.\r\nGoal!", paragraphs[1].GetProperty("text").GetString());
        var range = paragraphs[1].GetProperty("range");
        Assert.Equal(2, range.GetProperty("start").GetProperty("line").GetInt32());
        Assert.Equal(2, range.GetProperty("start").GetProperty("character").GetInt32());
        Assert.Equal(3, range.GetProperty("end").GetProperty("line").GetInt32());
        Assert.Equal(5, range.GetProperty("end").GetProperty("character").GetInt32());

        await LifecycleTests.WaitUntil(() => !client.Target.Diagnostics.IsEmpty);
        client.Target.Diagnostics.TryPeek(out var published);
        var diagnostics = published.GetProperty("diagnostics").EnumerateArray().ToList();
        Assert.Equal(2, diagnostics.Count);
        Assert.All(diagnostics, d => Assert.Equal(3, d.GetProperty("severity").GetInt32()));
        Assert.Equal("Sports 70%", diagnostics[1].GetProperty("message").GetString());
        Assert.Equal("agnews", diagnostics[1].GetProperty("source").GetString());

        // closing the document clears them
        await client.NotifyAsync("textDocument/didClose", new { textDocument = new { uri } });
        await LifecycleTests.WaitUntil(() => client.Target.Diagnostics.Count == 2);
        var cleared = client.Target.Diagnostics.Last();
        Assert.Equal(uri, cleared.GetProperty("uri").GetString());
        Assert.Equal(0, cleared.GetProperty("diagnostics").GetArrayLength());
    }

    [Fact]
    public async Task LabelDocument_reads_a_file_uri_from_disk_and_reports_missing_files()
    {
        var path = Path.Combine(Path.GetTempPath(), $"agnews-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(path, "New software for the chip.\n\nA chip plant opens.\n");
        try
        {
            await using var client = new LspTestClient();
            await client.InitializedAsync(workspaceFolders: [Path.GetTempPath()]);
            var uri = new Uri(path).AbsoluteUri;
            var result = await client.RequestAsync("agnews/labelDocument", new { uri, unit = "paragraph" });
            Assert.Equal("Sci/Tech", result.GetProperty("document").GetProperty("label").GetString());
            Assert.Equal(2, result.GetProperty("paragraphs").GetArrayLength());

            var (code, message) = await LspTestClient.ErrorOf(() =>
                client.RequestAsync("agnews/labelDocument", new { uri = uri + ".missing" }));
            Assert.Equal(ErrorCodes.BadInput, code);
            Assert.Contains("not found", message);
            Assert.Equal(ErrorCodes.InvalidParams, await LspTestClient.ErrorCodeOf(() =>
                client.RequestAsync("agnews/labelDocument", new { uri, unit = "word" })));
            Assert.Equal(ErrorCodes.BadInput, await LspTestClient.ErrorCodeOf(() =>
                client.RequestAsync("agnews/labelDocument", new { uri = "untitled:Untitled-1" })));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Status_maps_the_engine_status()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        var status = await client.RequestAsync("agnews/status", null);
        Assert.Equal("/heads/fake.head", status.GetProperty("headPath").GetString());
        Assert.Equal("cpu", status.GetProperty("device").GetString());
        Assert.Equal(128, status.GetProperty("maxTokens").GetInt32());
        Assert.False(status.GetProperty("training").GetBoolean());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("lastMetrics").ValueKind);
    }

    [Fact]
    public async Task Status_reports_the_pooling_this_session_set()
    {
        await using var client = new LspTestClient();
        client.Engine.HasHead = false;
        await client.InitializedAsync(initializationOptions: new { pooling = "pooler" });
        var status = await client.RequestAsync("agnews/status", new { });
        Assert.Equal("pooler", status.GetProperty("pooling").GetString()); // no head: what training and embedding use
        Assert.Equal("pooler", status.GetProperty("trainPooling").GetString());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("headPath").ValueKind);

        client.Engine.HasHead = true;
        status = await client.RequestAsync("agnews/status", new { });
        Assert.Equal("mean", status.GetProperty("pooling").GetString()); // the loaded head's own
        Assert.Equal("pooler", status.GetProperty("trainPooling").GetString());
    }

    [Fact]
    public async Task Train_maps_params_and_result()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync(initializationOptions: new { dataFolder = TestData.Folder });
        var result = await client.RequestAsync("agnews/train", new
        {
            dataPath = "train.csv", headKind = "mlp", maxEpochs = 3, seed = 7, validationFraction = 0.2, skipBadRows = true, limit = 100
        });
        var request = client.Engine.LastTrainRequest!;
        Assert.Equal([Path.Combine(TestData.Folder, "train.csv")], request.DataPaths);
        Assert.Equal(HeadKind.Mlp, request.HeadKind);
        Assert.Equal(3, request.MaxEpochs);
        Assert.Equal(7, request.Seed);
        Assert.True(request.SkipBadRows);
        Assert.Equal(100, request.Limit);
        Assert.Equal("/heads/new.head", result.GetProperty("headPath").GetString());
        Assert.Equal(90, result.GetProperty("trainCount").GetInt32());
        Assert.Equal(1.5, result.GetProperty("featureSeconds").GetDouble());
        Assert.Equal(2.25, result.GetProperty("trainSeconds").GetDouble());
        Assert.Equal(0.75, result.GetProperty("validation").GetProperty("accuracy").GetDouble());
        Assert.Equal(4, result.GetProperty("validation").GetProperty("confusionMatrix").GetArrayLength());
        Assert.Equal(1, result.GetProperty("history")[0].GetProperty("epoch").GetInt32());
        var status = await client.RequestAsync("agnews/status", new { });
        Assert.Equal(0.75, status.GetProperty("lastMetrics").GetProperty("accuracy").GetDouble());
    }

    [Fact]
    public async Task Epochs_and_solver_passes_are_two_settings_each_refused_where_the_kind_has_none()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync(initializationOptions: new { dataFolder = TestData.Folder });
        // A hybrid head has no epochs (its solver runs passes) and a linear head no solver: each says which to use.
        var epochs = await LspTestClient.ErrorOf(() =>
            client.RequestAsync("agnews/train", new { dataPath = "train.csv", headKind = "hybrid", maxEpochs = 5 }));
        Assert.Equal(ErrorCodes.InvalidParams, epochs.Code);
        Assert.Contains("maxPasses", epochs.Message);
        var passes = await LspTestClient.ErrorOf(() =>
            client.RequestAsync("agnews/train", new { dataPath = "train.csv", headKind = "linear", maxPasses = 5 }));
        Assert.Equal(ErrorCodes.InvalidParams, passes.Code);
        Assert.Contains("maxEpochs", passes.Message);
        Assert.Null(client.Engine.LastTrainRequest); // refused before the engine saw either
        await client.RequestAsync("agnews/train", new { dataPath = "train.csv", maxPasses = 7 });
        Assert.Equal((HeadKind.Hybrid, 7, (int?)null), (client.Engine.LastTrainRequest!.HeadKind, client.Engine.LastTrainRequest.MaxPasses,
            client.Engine.LastTrainRequest.MaxEpochs));
    }

    [Fact]
    public async Task Train_takes_several_data_paths_and_the_hybrid_kind()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync(initializationOptions: new { dataFolder = TestData.Folder });
        var result = await client.RequestAsync("agnews/train",
            new { dataPath = "train.csv", dataPaths = new[] { "test.csv" }, headKind = "hybrid" });
        var request = client.Engine.LastTrainRequest!;
        Assert.Equal([Path.Combine(TestData.Folder, "train.csv"), Path.Combine(TestData.Folder, "test.csv")], request.DataPaths);
        Assert.Equal(HeadKind.Hybrid, request.HeadKind);
        await client.RequestAsync("agnews/train", new { dataPath = "train.csv", headKind = "hybrid+layers", maxEpochs = 2 });
        Assert.Equal((HeadKind.HybridLayers, 2), (client.Engine.LastTrainRequest!.HeadKind, client.Engine.LastTrainRequest.MaxEpochs));
        await client.RequestAsync("agnews/train", new { dataPath = "train.csv", headKind = "hybrid+layers", maxPasses = 9 });
        Assert.Equal(9, client.Engine.LastTrainRequest!.MaxPasses);
        Assert.True(result.GetProperty("validation").TryGetProperty("expectedCalibrationError", out _));
        Assert.True(result.TryGetProperty("temperature", out _));
        Assert.Equal(ErrorCodes.InvalidParams, await LspTestClient.ErrorCodeOf(() =>
            client.RequestAsync("agnews/train", new { headKind = "hybrid" })));
        Assert.Equal(ErrorCodes.InvalidParams, await LspTestClient.ErrorCodeOf(() =>
            client.RequestAsync("agnews/train", new { dataPaths = new[] { "train.csv", "" } })));
    }

    [Fact]
    public async Task Evaluate_maps_the_report()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        var report = await client.RequestAsync("agnews/evaluate", new { dataPath = "test.csv", limit = 20 });
        Assert.Equal(20, report.GetProperty("count").GetInt32());
        Assert.Equal(0.7, report.GetProperty("macroF1").GetDouble());
        Assert.Equal(["World", "Sports", "Business", "Sci/Tech"],
            report.GetProperty("labelNames").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal("World", report.GetProperty("perClass")[0].GetProperty("label").GetString());
        Assert.Equal(0.8, report.GetProperty("perClass")[0].GetProperty("precision").GetDouble());
    }

    [Fact]
    public async Task ExecuteCommand_routes_every_command_to_its_request()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        await client.OpenAsync("file:///c.txt", "A match report.");
        var classify = await client.RequestAsync("workspace/executeCommand",
            new { command = "agnews/classify", arguments = new object[] { new { text = "chip software" } } });
        Assert.Equal("Sci/Tech", classify.GetProperty("predictions")[0].GetProperty("label").GetString());
        var label = await client.RequestAsync("workspace/executeCommand",
            new { command = "agnews/labelDocument", arguments = new object[] { new { uri = "file:///c.txt" } } });
        Assert.Equal("Sports", label.GetProperty("document").GetProperty("label").GetString());
        var status = await client.RequestAsync("workspace/executeCommand", new { command = "agnews/status" });
        Assert.Equal("fake-minilm", status.GetProperty("modelName").GetString());
        var train = await client.RequestAsync("workspace/executeCommand",
            new { command = "agnews/train", arguments = new object[] { new { dataPath = "train.csv" } } });
        Assert.Equal("/heads/new.head", train.GetProperty("headPath").GetString());
        var evaluate = await client.RequestAsync("workspace/executeCommand",
            new { command = "agnews/evaluate", arguments = new object[] { new { dataPath = "test.csv" } } });
        Assert.Equal(40, evaluate.GetProperty("count").GetInt32());

        Assert.Equal(ErrorCodes.InvalidParams, await LspTestClient.ErrorCodeOf(() =>
            client.RequestAsync("workspace/executeCommand", new { command = "agnews.nope" })));
        // The former ids (spelled like the VS Code client's own commands) still run, and are not advertised.
        var former = await client.RequestAsync("workspace/executeCommand", new { command = "agnews.status" });
        Assert.Equal("fake-minilm", former.GetProperty("modelName").GetString());
        Assert.DoesNotContain("agnews.status", AgNewsLsp.Server.Protocol.LanguageServer.Commands);
        Assert.Equal(ErrorCodes.InvalidParams, await LspTestClient.ErrorCodeOf(() => client.RequestAsync("workspace/executeCommand",
            new { command = "agnews/classify", arguments = new object[] { new { text = 5 } } })));
        Assert.Equal(ErrorCodes.BadInput, await LspTestClient.ErrorCodeOf(() => client.RequestAsync("workspace/executeCommand",
            new { command = "agnews/train", arguments = new object[] { new { dataPath = "missing.csv" } } })));
    }
}
