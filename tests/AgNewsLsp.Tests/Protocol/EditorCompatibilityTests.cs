using System.Text.Json;

namespace AgNewsLsp.Tests.Protocol;

/// <summary>
/// What editors other than VS Code send and expect (Neovim's built-in client, Emacs eglot, Helix, Sublime LSP):
/// empty params as [] or null, plaintext hovers, lenses with a command, settings pushed by
/// workspace/didChangeConfiguration, and workspace/codeLens/refresh.
/// </summary>
public class EditorCompatibilityTests
{
    private const string Uri = "file:///w/news.txt";
    private const string Text = "The match ended with a late goal\nfor the home side.\n\nStock markets fell sharply today.\n";

    private static Task<JsonElement> InitializeAsync(LspTestClient client, object capabilities, object? initializationOptions = null) =>
        client.RequestAsync("initialize", new { processId = (int?)null, capabilities, initializationOptions });

    [Fact]
    public async Task Parameterless_requests_accept_an_empty_array_and_null_as_no_params()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        // InvokeAsync without arguments sends "params": [] (Lua's {} encodes the same way)
        var status = await client.Rpc.InvokeAsync<JsonElement>("agnews/status");
        Assert.True(status.TryGetProperty("modelName", out _));
        Assert.True((await client.RequestAsync("agnews/status", null)).TryGetProperty("modelName", out _));
        // executeCommand with an empty object, an empty array (Lua {}) or no argument at all
        foreach (var arguments in new object?[]
            { new object[] { new { } }, new object[] { Array.Empty<object>() }, null, Array.Empty<object>() })
        {
            var result = await client.RequestAsync("workspace/executeCommand", new { command = "agnews/status", arguments });
            Assert.True(result.TryGetProperty("modelName", out _));
        }
        // where a param is required, [] is still -32602
        Assert.Equal(-32602, await LspTestClient.ErrorCodeOf(() => client.Rpc.InvokeAsync<JsonElement>("agnews/classify")));
        Assert.Equal(-32602, await LspTestClient.ErrorCodeOf(() =>
            client.RequestAsync("workspace/executeCommand",
                new { command = "agnews/classify", arguments = new object[] { Array.Empty<object>() } })));
        await client.Rpc.InvokeAsync<JsonElement>("shutdown");
    }

    [Fact]
    public async Task Hover_is_plain_text_to_a_client_that_prefers_it()
    {
        await using var client = new LspTestClient();
        await InitializeAsync(client, new { textDocument = new { hover = new { contentFormat = new[] { "plaintext" } } } });
        await client.OpenAsync(Uri, Text);
        var contents = (await client.HoverAsync(Uri, 0, 3)).GetProperty("contents");
        Assert.Equal("plaintext", contents.GetProperty("kind").GetString());
        var text = contents.GetProperty("value").GetString()!;
        Assert.StartsWith("Sports 70.0%\n\n", text);
        Assert.Contains("World    █░░░░░░░░░ 10.0%\n", text);
        Assert.Contains("Sci/Tech █░░░░░░░░░ 10.0%", text);
        Assert.DoesNotContain("*", text);
        Assert.DoesNotContain("`", text);
        Assert.DoesNotContain("\\", text);
        Assert.DoesNotContain("  \n", text); // Markdown's hard line breaks

        var longText = string.Join(' ', Enumerable.Repeat("The striker scored again in the final.", 80));
        await client.OpenAsync("file:///w/long.txt", longText);
        var truncated = (await client.HoverAsync("file:///w/long.txt", 0, 5)).GetProperty("contents").GetProperty("value").GetString()!;
        Assert.EndsWith($"\n\nlong text: {longText.Length / 4 + 1} tokens, only the first part was read", truncated);
    }

    [Theory]
    [InlineData(new[] { "markdown", "plaintext" }, "markdown")]
    [InlineData(new[] { "plaintext", "markdown" }, "plaintext")]
    [InlineData(new[] { "asciidoc", "plaintext" }, "plaintext")]
    [InlineData(new string[0], "markdown")]
    public async Task Hover_takes_the_first_format_the_client_lists_that_it_knows(string[] contentFormat, string expected)
    {
        await using var client = new LspTestClient();
        await InitializeAsync(client, new { textDocument = new { hover = new { contentFormat } } });
        await client.OpenAsync(Uri, Text);
        Assert.Equal(expected, (await client.HoverAsync(Uri, 0, 3)).GetProperty("contents").GetProperty("kind").GetString());
    }

    [Fact]
    public async Task A_lens_runs_an_advertised_command_that_classifies_its_paragraph()
    {
        await using var client = new LspTestClient();
        var init = await client.InitializedAsync();
        var advertised = init.GetProperty("capabilities").GetProperty("executeCommandProvider").GetProperty("commands").EnumerateArray()
            .Select(c => c.GetString()).ToList();
        await client.OpenAsync(Uri, Text);
        var lenses = (await client.RequestAsync("textDocument/codeLens", new { textDocument = new { uri = Uri } }))
            .EnumerateArray().ToList();
        Assert.Equal(2, lenses.Count);
        var command = lenses[1].GetProperty("command");
        Assert.Equal("Business 70%", command.GetProperty("title").GetString());
        Assert.Contains(command.GetProperty("command").GetString(), advertised);
        // what an editor does when the lens is run (Neovim sends the lens's command object as the params)
        var result = await client.RequestAsync("workspace/executeCommand", command);
        var prediction = Assert.Single(result.GetProperty("predictions").EnumerateArray());
        Assert.Equal("Business", prediction.GetProperty("label").GetString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task DidChangeConfiguration_applies_session_settings_in_either_shape(bool nested)
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        await client.OpenAsync(Uri, Text);
        object agnews = new { hoverUnit = "line", otherServer = new { x = 1 } };
        await client.NotifyAsync("workspace/didChangeConfiguration", new { settings = nested ? new { agnews } : agnews });
        // the hover unit is now the line: the range ends on line 0
        var hover = await client.HoverAsync(Uri, 0, 3);
        Assert.Equal(0, hover.GetProperty("range").GetProperty("end").GetProperty("line").GetInt32());
        Assert.DoesNotContain(client.Target.LogMessages, m => m.GetProperty("type").GetInt32() <= 2);
    }

    [Fact]
    public async Task DidChangeConfiguration_warns_about_settings_that_need_a_restart_and_keeps_them()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        await client.NotifyAsync("workspace/didChangeConfiguration",
            new { settings = new { agnews = new { maxTokens = 64, modelPath = "/elsewhere", maxInlineLabels = 1 } } });
        await LifecycleTests.WaitUntil(() => client.Target.LogMessages.Any(m => m.GetProperty("type").GetInt32() == 2));
        var warning = client.Target.LogMessages.First(m => m.GetProperty("type").GetInt32() == 2).GetProperty("message").GetString()!;
        Assert.Contains("modelPath", warning);
        Assert.Contains("maxTokens", warning);
        Assert.Contains("restart", warning);
        Assert.DoesNotContain("maxInlineLabels", warning);
        // the engine settings stayed; the session one was applied
        Assert.Equal(128, (await client.RequestAsync("agnews/status", new { })).GetProperty("maxTokens").GetInt32());
        await client.OpenAsync(Uri, Text);
        Assert.Equal(1, (await client.RequestAsync("textDocument/codeLens", new { textDocument = new { uri = Uri } })).GetArrayLength());
    }

    [Fact]
    public async Task DidChangeConfiguration_with_a_bad_value_changes_nothing_and_says_why()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        await client.OpenAsync(Uri, Text);
        await client.NotifyAsync("workspace/didChangeConfiguration",
            new { settings = new { agnews = new { maxInlineLabels = 1, hoverUnit = "chapter" } } });
        await LifecycleTests.WaitUntil(() => client.Target.LogMessages.Any(m => m.GetProperty("type").GetInt32() == 2));
        Assert.Contains(client.Target.LogMessages, m => m.GetProperty("message").GetString()!.Contains("hoverUnit"));
        Assert.Equal(2, (await client.RequestAsync("textDocument/codeLens", new { textDocument = new { uri = Uri } })).GetArrayLength());
        // empty settings ([] from Lua's {}, or null) are no change and no warning
        var before = client.Target.LogMessages.Count(m => m.GetProperty("type").GetInt32() == 2);
        await client.NotifyAsync("workspace/didChangeConfiguration", new { settings = Array.Empty<object>() });
        await client.NotifyAsync("workspace/didChangeConfiguration", new { settings = (object?)null });
        await client.RequestAsync("agnews/status", new { });
        Assert.Equal(before, client.Target.LogMessages.Count(m => m.GetProperty("type").GetInt32() == 2));
    }

    [Fact]
    public async Task CodeLens_refresh_is_sent_after_training_and_after_a_settings_change_that_changes_labels()
    {
        await using var client = new LspTestClient();
        await InitializeAsync(client, new { workspace = new { codeLens = new { refreshSupport = true } } });
        await client.RequestAsync("agnews/train", new { dataPath = "train.csv" });
        await LifecycleTests.WaitUntil(() => client.Target.CodeLensRefreshes == 1);

        await client.NotifyAsync("workspace/didChangeConfiguration", new { settings = new { agnews = new { hoverUnit = "line" } } });
        await client.RequestAsync("agnews/status", new { });
        Assert.Equal(1, client.Target.CodeLensRefreshes); // the hover unit changes no lens
        await client.NotifyAsync("workspace/didChangeConfiguration", new { settings = new { agnews = new { maxInlineLabels = 2 } } });
        await LifecycleTests.WaitUntil(() => client.Target.CodeLensRefreshes == 2);
    }

    [Fact]
    public async Task CodeLens_refresh_is_not_sent_to_a_client_without_refresh_support()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        await client.RequestAsync("agnews/train", new { dataPath = "train.csv" });
        await client.NotifyAsync("workspace/didChangeConfiguration", new { settings = new { maxInlineLabels = 2 } });
        await client.RequestAsync("agnews/status", new { });
        await Task.Delay(100);
        Assert.Equal(0, client.Target.CodeLensRefreshes);
    }
}
