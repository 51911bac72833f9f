using System.Text.Json;

namespace AgNewsLsp.Tests.Protocol;

/// <summary>
/// Teaching in place over the protocol, with the keyword engine (its sentence vectors are hashed words, so texts that
/// share words are similar): a correction shows at once and is written to the workspace's corrections file, similar
/// paragraphs follow, a new class grows, undo takes it back, code actions offer every class, suggestions rank by margin.
/// </summary>
public class TeachInPlaceTests : IDisposable
{
    private const string Uri = "file:///teach/notes.md";
    private const string Film = "The film festival opened with a premiere; the director and the actors walked the red carpet.";
    private const string FilmAgain = "At the film festival the director and the actors of the premiere walked the red carpet again.";
    private const string Market = "The stock market fell as investors sold shares.";
    private readonly TempFolder _workspace = new();

    public void Dispose() => _workspace.Dispose();

    private string Dataset => _workspace.Combine(".agnews/labels.jsonl");

    private async Task<LspTestClient> StartAsync(string? text = null)
    {
        var client = new LspTestClient();
        await client.RequestAsync("initialize", new
        {
            processId = (int?)null,
            capabilities = new { workspace = new { codeLens = new { refreshSupport = true } } },
            workspaceFolders = new[] { new { uri = new Uri(_workspace.Path).AbsoluteUri, name = "w" } },
        });
        await client.NotifyAsync("initialized", new { });
        await client.OpenAsync(DocumentUri, text ?? $"{Film}\n\n{Market}\n\n{FilmAgain}\n");
        return client;
    }

    private string DocumentUri => new Uri(_workspace.Combine("notes.md")).AbsoluteUri;

    private static string HoverText(JsonElement hover) => hover.GetProperty("contents").GetProperty("value").GetString()!;

    [Fact]
    public async Task A_correction_shows_at_once_is_written_to_the_workspace_file_and_similar_paragraphs_follow()
    {
        await using var client = await StartAsync();
        Assert.Equal("World", (await LabelAt(client, 4)).Label); // the keyword head: no keyword, World

        var result = await client.RequestAsync("agnews/correct",
            new { label = "Entertainment", textDocument = new { uri = DocumentUri }, position = new { line = 0, character = 3 } });
        Assert.Equal("Entertainment", result.GetProperty("label").GetString());
        Assert.Equal(Dataset, result.GetProperty("dataset").GetString());
        var added = result.GetProperty("newClasses")[0];
        Assert.Equal(("Entertainment", 1, true),
            (added.GetProperty("label").GetString(), added.GetProperty("examples").GetInt32(), added.GetProperty("weak").GetBoolean()));
        Assert.Contains("few examples make it weak", result.GetProperty("message").GetString());

        // At once: the paragraph shows the user's label, marked as theirs, in the hover and the lens.
        Assert.Contains("labelled by you", HoverText(await client.HoverAsync(DocumentUri, 0, 3)));
        var lenses = await client.RequestAsync("textDocument/codeLens", new { textDocument = new { uri = DocumentUri } });
        Assert.Equal("Entertainment · labelled by you", lenses[0].GetProperty("command").GetProperty("title").GetString());
        // The similar paragraph follows; the unlike one keeps the head's label.
        var similar = await LabelAt(client, 4);
        Assert.Equal(("Entertainment", false), (similar.Label, similar.ByUser));
        Assert.Equal("Business", (await LabelAt(client, 2)).Label);
        await LifecycleTests.WaitUntil(() => client.Target.CodeLensRefreshes >= 1); // the client is asked to fetch lenses again

        var row = JsonDocument.Parse(File.ReadAllLines(Dataset).Single()).RootElement;
        Assert.Equal((Film, "Entertainment"), (row.GetProperty("text").GetString(), row.GetProperty("label").GetString()));
        Assert.Equal((DocumentUri, 0),
            (row.GetProperty("source").GetProperty("uri").GetString(), row.GetProperty("source").GetProperty("startLine").GetInt32()));
    }

    private async Task<(string Label, bool ByUser)> LabelAt(LspTestClient client, int line)
    {
        var r = await client.RequestAsync("agnews/classify",
            new { textDocument = new { uri = DocumentUri }, position = new { line, character = 0 } });
        var p = r.GetProperty("predictions")[0];
        return (p.GetProperty("label").GetString()!, p.TryGetProperty("byUser", out var b) && b.GetBoolean());
    }

    [Fact]
    public async Task Undo_takes_the_last_correction_back_and_a_relabel_puts_the_earlier_label_back()
    {
        await using var client = await StartAsync();
        var at = new { label = "Sports", textDocument = new { uri = DocumentUri }, position = new { line = 2, character = 0 } };
        await client.RequestAsync("agnews/correct", at);
        var relabel = await client.RequestAsync("agnews/correct", at with { label = "World" });
        Assert.Equal("Sports", relabel.GetProperty("replacedLabel").GetString());
        Assert.Single(File.ReadAllLines(Dataset)); // one row per text

        var undone = await client.RequestAsync("agnews/undoCorrection", new { textDocument = new { uri = DocumentUri } });
        Assert.True(undone.GetProperty("undone").GetBoolean());
        Assert.Equal(("Sports", true), await LabelAt(client, 2));
        await client.RequestAsync("workspace/executeCommand", new { command = "agnews/undoCorrection", arguments = Array.Empty<object>() });
        Assert.Equal(("Business", false), await LabelAt(client, 2));
        Assert.Empty(File.ReadAllLines(Dataset));
        Assert.False((await client.RequestAsync("agnews/undoCorrection", new { })).GetProperty("undone").GetBoolean());
    }

    [Fact]
    public async Task Code_actions_offer_every_class_a_new_class_and_undo_through_server_commands()
    {
        await using var client = await StartAsync();
        var actions = await client.RequestAsync("textDocument/codeAction", new
        {
            textDocument = new { uri = DocumentUri },
            range = new { start = new { line = 2, character = 5 }, end = new { line = 2, character = 5 } },
            context = new { diagnostics = Array.Empty<object>() },
        });
        var titles = actions.EnumerateArray().Select(a => a.GetProperty("title").GetString()!).ToList();
        Assert.Equal("Label as Business", titles[0]); // the head's guess first
        Assert.Equal<string>(["Label as Business", "Label as Sci/Tech", "Label as Sports", "Label as World", "Label as a new class...",
            "Undo the last label"], [titles[0], .. titles.Skip(1).Take(3).Order(), .. titles.Skip(4)]);
        Assert.All(actions.EnumerateArray(), a => Assert.Equal("quickfix", a.GetProperty("kind").GetString()));

        // Running an action is running its command, as any editor does.
        var sports = actions.EnumerateArray().Single(a => a.GetProperty("title").GetString() == "Label as Sports").GetProperty("command");
        await client.RequestAsync("workspace/executeCommand",
            new { command = sports.GetProperty("command").GetString(), arguments = sports.GetProperty("arguments") });
        Assert.Equal(("Sports", true), await LabelAt(client, 2));
        // The new-class action has no label: the editor asks for one; without it the server says what is missing.
        var newClass = actions.EnumerateArray().Single(a => a.GetProperty("title").GetString() == "Label as a new class...")
            .GetProperty("command");
        var (code, message) = await LspTestClient.ErrorOf(() => client.RequestAsync("workspace/executeCommand",
            new { command = newClass.GetProperty("command").GetString(), arguments = newClass.GetProperty("arguments") }));
        Assert.Equal(-32602, code);
        Assert.Contains("label", message);
    }

    [Fact]
    public async Task Suggestions_are_the_least_sure_paragraphs_without_the_users_own()
    {
        // The keyword head is sure of "stock market" (0.7) and of nothing else either: every margin is 0.6, so the
        // order is the document's; a corrected paragraph is left out, and near-duplicates come once.
        await using var client = await StartAsync($"{Film}\n\n{Market}\n\n{Film}\n\nA paragraph about nothing in particular here.\n");
        var before = (await client.RequestAsync("agnews/suggest", new { })).GetProperty("suggestions");
        Assert.Equal(3, before.GetArrayLength()); // the second Film is the first again
        Assert.Equal(0, before[0].GetProperty("range").GetProperty("start").GetProperty("line").GetInt32());
        await client.RequestAsync("agnews/correct",
            new { label = "Entertainment", textDocument = new { uri = DocumentUri }, position = new { line = 0, character = 0 } });
        var after = (await client.RequestAsync("agnews/suggest", new { max = 10 })).GetProperty("suggestions");
        Assert.DoesNotContain(after.EnumerateArray(), s => s.GetProperty("text").GetString() == Film);
        Assert.All(after.EnumerateArray(), s => Assert.Equal(DocumentUri, s.GetProperty("uri").GetString()));
    }

    [Fact]
    public async Task Corrections_already_in_the_workspace_file_are_taught_when_the_session_starts()
    {
        Directory.CreateDirectory(_workspace.Combine(".agnews"));
        File.WriteAllText(Dataset, JsonSerializer.Serialize(new { text = Market, label = "World", time = DateTimeOffset.UtcNow }) + "\n");
        await using var client = await StartAsync();
        Assert.Equal(("World", true), await LabelAt(client, 2));
    }
}
