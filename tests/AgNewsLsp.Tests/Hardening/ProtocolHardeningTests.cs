using AgNewsLsp.Text;
using System.Reflection;
using System.Text;
using AgNewsLsp.Data;
using AgNewsLsp.Engine;
using AgNewsLsp.Server.Hosting;
using AgNewsLsp.Server.Protocol;
using AgNewsLsp.Server.Protocol.Transport;
using AgNewsLsp.Tests.Protocol;
using Microsoft.Extensions.Logging.Abstractions;
using StreamJsonRpc;
using AgNewsLsp.Server.Wire;
using AgNewsLsp.Server.Options;
using AgNewsLsp.Server.Runtime;

namespace AgNewsLsp.Tests.Hardening;

/// <summary>Issue 9, items 4, 5 and 8, in process (the real-process checks are in tests/protocol-node/test/hardening.test.js).</summary>
public class ProtocolHardeningTests
{
    [Fact]
    public async Task Malformed_data_is_bad_input_not_an_internal_error()
    {
        var engine = new FakeLabelingEngine
        {
            TrainFailure = new DataFormatException("/data/train.csv", 3, "class must be 1-4, found '9'")
        };
        await using var client = new LspTestClient(engine);
        await client.InitializedAsync();
        var (code, message) = await LspTestClient.ErrorOf(() => client.RequestAsync("agnews/train", new { dataPath = "train.csv" }));
        Assert.Equal(ErrorCodes.BadInput, code);
        Assert.Contains("line 3", message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(-5)]
    public async Task MaxTokens_the_encoder_cannot_use_is_refused_at_initialize(int maxTokens)
    {
        await using var client = new LspTestClient();
        var (code, message) = await LspTestClient.ErrorOf(() => client.InitializeAsync(initializationOptions: new { maxTokens }));
        Assert.Equal(ErrorCodes.InvalidParams, code);
        Assert.Contains("maxTokens", message);
    }

    [Theory]
    [InlineData("WhenIdleAsync")]
    [InlineData("WhenIdle")]
    [InlineData("get_Exited")]
    [InlineData("Translate")]
    public async Task Internal_members_of_the_server_are_not_callable(string method)
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        Assert.Equal(ErrorCodes.MethodNotFound, await LspTestClient.ErrorCodeOf(() =>
            client.RequestAsync(method, new { timeout = "00:00:01" })));
    }

    [Fact]
    public void Every_public_method_of_the_rpc_target_is_a_declared_protocol_method()
    {
        var undeclared = typeof(LanguageServer).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName && m.GetCustomAttribute<JsonRpcMethodAttribute>() is null)
            .Select(m => m.Name).ToList();
        Assert.Empty(undeclared);
    }

    [Fact]
    public void Invalid_utf8_is_a_parse_error()
    {
        var body = Encoding.UTF8.GetBytes("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"agnews/classify\",\"params\":{\"text\":\"ab\"}}");
        var broken = body.Take(60).Concat(new byte[] { 0xC3, 0x28 }).Concat(body.Skip(60)).ToArray();
        Assert.Equal(ErrorCodes.ParseError, FrameGate.Validate(broken)!.Code);
        Assert.Null(FrameGate.Validate(body));
    }

    [Theory]
    [InlineData("Content-Type: x", "missing Content-Length")]
    [InlineData("Content-Length: abc", "not a non-negative whole number")]
    [InlineData("Content-Length: -5", "not a non-negative whole number")]
    [InlineData("Content-Length: 5\r\nContent-Length: 5", "more than one")]
    [InlineData("junkContent-Length: 5", "missing Content-Length")]
    [InlineData("junk\r\nContent-Length: 5", "not a 'Name: value' line")]
    public void Broken_headers_are_named(string header, string problem)
    {
        var (_, error) = FrameGate.ParseHeader(header, 1 << 20);
        Assert.NotNull(error);
        Assert.Contains(problem, error);
    }

    [Theory]
    [InlineData("junkContent-Length: 5", 5L, 4)]
    [InlineData("{\"jsonrpc\":\"2.0\"}\r\nContent-Length: 7\r\nContent-Type: x", 7L, 19)]
    [InlineData("Content-Length: 5\r\nContent-Length: 9", null, 0)]
    [InlineData("Content-Length: abc", null, 0)]
    [InlineData("xContent-Length: -1", null, 0)]
    public void A_good_header_after_junk_is_recovered_but_two_lengths_never_are(string header, long? length, int skipped)
    {
        var recovered = FrameGate.RecoverHeader(header);
        Assert.Equal(length, recovered?.Length);
        if (length is not null) Assert.Equal(skipped, recovered!.Value.Skipped);
    }

    [Fact]
    public void Header_lengths_parse_and_huge_ones_are_over_any_limit()
    {
        Assert.Equal((42L, (string?)null),
            FrameGate.ParseHeader("Content-Length: 42\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8", 100));
        Assert.Equal(long.MaxValue, FrameGate.ParseHeader("Content-Length: 99999999999999999999999", 100).Length);
    }

    [Fact]
    public async Task A_file_that_is_not_open_is_read_only_inside_a_workspace_folder()
    {
        var workspace = Directory.CreateTempSubdirectory("agnews-ws-").FullName;
        try
        {
            var inside = Path.Combine(workspace, "news.txt");
            await File.WriteAllTextAsync(inside, "New software for the chip.");
            await using var client = new LspTestClient();
            await client.InitializedAsync(workspaceFolders: [workspace]);
            var ok = await client.RequestAsync("agnews/labelDocument", new { uri = new Uri(inside).AbsoluteUri });
            Assert.Equal("Sci/Tech", ok.GetProperty("document").GetProperty("label").GetString());

            var (code, message) = await LspTestClient.ErrorOf(() =>
                client.RequestAsync("agnews/labelDocument", new { uri = "file:///etc/passwd" }));
            Assert.Equal(ErrorCodes.BadInput, code);
            Assert.Contains("workspace folder", message);
            File.CreateSymbolicLink(Path.Combine(workspace, "passwd"), "/etc/passwd");
            Assert.Equal(ErrorCodes.BadInput, await LspTestClient.ErrorCodeOf(() =>
                client.RequestAsync("agnews/labelDocument", new { uri = new Uri(Path.Combine(workspace, "passwd")).AbsoluteUri })));
            // without workspace folders, nothing is read from disk
            await using var bare = new LspTestClient();
            await bare.InitializedAsync();
            Assert.Equal(ErrorCodes.BadInput, await LspTestClient.ErrorCodeOf(() =>
                bare.RequestAsync("agnews/labelDocument", new { uri = new Uri(inside).AbsoluteUri })));
        }
        finally
        {
            Directory.Delete(workspace, recursive: true);
        }
    }

    [Fact]
    public async Task Devices_are_refused_even_inside_a_workspace_and_as_data_paths()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync(workspaceFolders: ["/dev"]);
        var (code, message) = await LspTestClient.ErrorOf(() =>
            client.RequestAsync("agnews/labelDocument", new { uri = "file:///dev/zero" }));
        Assert.Equal(ErrorCodes.BadInput, code);
        Assert.Contains("not a regular file", message);
        foreach (var dataPath in new[] { "/dev/zero", "/dev/stdin", "file:///dev/urandom" })
        {
            Assert.Equal(ErrorCodes.BadInput, await LspTestClient.ErrorCodeOf(() => client.RequestAsync("agnews/train", new { dataPath })));
            Assert.Equal(ErrorCodes.BadInput, await LspTestClient.ErrorCodeOf(() =>
                client.RequestAsync("agnews/evaluate", new { dataPath })));
        }
        Assert.Null(client.Engine.LastTrainRequest);
    }

    [Fact]
    public async Task Sessions_with_other_engine_settings_get_their_own_engine()
    {
        var created = new List<ServerOptions>();
        var engines = new EngineProvider(
            o => { lock (created) created.Add(o); return Task.FromResult<AgNewsLsp.Engine.ILabelingEngine>(new FakeLabelingEngine()); },
            NullLogger.Instance);
        var a = await engines.GetAsync(new ServerOptions { HeadPath = "/tmp/a.head.json" });
        var b = await engines.GetAsync(new ServerOptions { HeadPath = "/tmp/b.head.json" });
        var a2 = await engines.GetAsync(new ServerOptions { HeadPath = "/tmp/x/../a.head.json", HoverUnit = AgNewsLsp.Text.TextUnit.Line });
        Assert.NotSame(a, b);
        Assert.Same(a, a2);
        Assert.Equal(["/tmp/a.head.json", "/tmp/b.head.json"], created.Select(o => o.HeadPath));
        await engines.GetAsync(new ServerOptions { HeadPath = "/tmp/c" });
        await engines.GetAsync(new ServerOptions { HeadPath = "/tmp/d" });
        var e = Assert.Throws<InvalidOperationException>(() => { _ = engines.GetAsync(new ServerOptions { HeadPath = "/tmp/e" }); });
        Assert.Contains($"{EngineProvider.MaxEngines} engines", e.Message);
    }

    [Fact]
    public async Task Open_documents_over_the_limit_are_not_kept()
    {
        await using var client = new LspTestClient(
            options: new ServerOptions { DataFolder = TestData.Folder, MaxDocumentChars = 1000, MaxOpenDocuments = 2 });
        await client.InitializedAsync();
        await client.OpenAsync("file:///big.txt", "A chip plant opens. " + new string('x', 1000));
        await client.OpenAsync("file:///a.txt", "A chip plant opens.");
        await client.OpenAsync("file:///b.txt", "A chip plant opens.");
        await client.OpenAsync("file:///c.txt", "A chip plant opens.");
        Assert.Equal(System.Text.Json.JsonValueKind.Null, (await client.HoverAsync("file:///big.txt", 0, 1)).ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Object, (await client.HoverAsync("file:///b.txt", 0, 1)).ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, (await client.HoverAsync("file:///c.txt", 0, 1)).ValueKind);
    }
}
