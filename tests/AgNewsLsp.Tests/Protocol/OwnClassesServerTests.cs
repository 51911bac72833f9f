using AgNewsLsp.Server.Wire;
using AgNewsLsp.Settings;
using AgNewsLsp.Server.Options;
using AgNewsLsp.Server.Runtime;
using System.Text.Json;
using AgNewsLsp.Engine;
using AgNewsLsp.Server.Hosting;
using AgNewsLsp.Server.Protocol;
using AgNewsLsp.Server.Protocol.Transport;
using AgNewsLsp.Tests.Engine;
using Microsoft.Extensions.Logging.Abstractions;
using Nerdbank.Streams;
using StreamJsonRpc;

namespace AgNewsLsp.Tests.Protocol;

/// <summary>The language server over the real engine: a head trained on data with classes of its own answers with them.</summary>
public class OwnClassesServerTests
{
    [Fact]
    public async Task Train_then_classify_hover_and_status_give_the_datas_five_classes()
    {
        using var folder = new TempFolder();
        var data = FiveClassData.Write(folder.Path);
        var headPath = folder.Combine("five.head.json");
        await using var engines = new EngineProvider(
            async _ => await LabelingEngine.CreateAsync(new EngineSettings { CacheRoot = TestPaths.TestCache, HeadPath = headPath }),
            NullLogger.Instance);
        var (serverStream, clientStream) = FullDuplexStream.CreatePair();
        await using var session = new LspSession(serverStream, serverStream, engines, new ServerOptions { DataFolder = folder.Path },
            NullLoggerFactory.Instance, "test");
        _ = session.RunAsync();
        using var rpc = new JsonRpc(new HeaderDelimitedMessageHandler(clientStream, clientStream,
            new SystemTextJsonFormatter { JsonSerializerOptions = WireJson.Create() }));
        rpc.StartListening();
        Task<JsonElement> Request(string method, object args) => rpc.InvokeWithParameterObjectAsync<JsonElement>(method, args);

        await Request("initialize", new { processId = (int?)null, capabilities = new { } });
        await rpc.NotifyWithParameterObjectAsync("initialized", new { });

        var trained = await Request("agnews/train", new { dataPath = data, maxPasses = 5 });
        Assert.Equal(FiveClassData.ReadOrder,
            trained.GetProperty("validation").GetProperty("labelNames").EnumerateArray().Select(n => n.GetString()));

        var classified = await Request("agnews/classify",
            new { texts = new[] { FiveClassData.HealthText, "Tourists at the airport lost their luggage." } });
        var predictions = classified.GetProperty("predictions");
        Assert.Equal("Health", predictions[0].GetProperty("label").GetString());
        Assert.Contains(predictions[1].GetProperty("label").GetString(), FiveClassData.Classes);
        Assert.Equal(FiveClassData.ReadOrder, predictions[0].GetProperty("probabilities").EnumerateObject().Select(p => p.Name));

        await rpc.NotifyWithParameterObjectAsync("textDocument/didOpen",
            new
            {
                textDocument = new { uri = "file:///notes.txt", languageId = "plaintext", version = 1, text = FiveClassData.HealthText }
            });
        var hover = await Request("textDocument/hover",
            new { textDocument = new { uri = "file:///notes.txt" }, position = new { line = 0, character = 5 } });
        var markdown = hover.GetProperty("contents").GetProperty("value").GetString()!;
        Assert.StartsWith("**Health**", markdown);
        Assert.Contains("`Music", markdown);
        Assert.DoesNotContain("Sports", markdown);

        var status = await Request("agnews/status", new { });
        Assert.Equal(FiveClassData.ReadOrder, status.GetProperty("labelNames").EnumerateArray().Select(n => n.GetString()));

        // Data whose classes the head does not know is the user's bad input, not a server fault.
        var (code, message) = await LspTestClient.ErrorOf(() =>
            Request("agnews/evaluate", new { dataPath = TestPaths.AgNewsTest, limit = 20 }));
        Assert.Equal(ErrorCodes.BadInput, code);
        Assert.Contains("the head does not know", message);
    }
}
