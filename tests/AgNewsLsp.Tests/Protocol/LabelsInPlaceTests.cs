using AgNewsLsp.Server.Protocol;
using System.Text.Json;
using AgNewsLsp.Engine;
using AgNewsLsp.Server.Options;

namespace AgNewsLsp.Tests.Protocol;

public class LabelsInPlaceTests
{
    [Fact]
    public async Task CodeLens_puts_a_label_above_each_paragraph_with_enough_text()
    {
        await using var client = new LspTestClient();
        var init = await client.InitializedAsync();
        Assert.False(init.GetProperty("capabilities").GetProperty("codeLensProvider").GetProperty("resolveProvider").GetBoolean());
        const string uri = "file:///w/lens.md";
        await client.OpenAsync(uri, "Stocks fell as markets slid\non weak earnings.\n\nx\n\nThe match ended with a late goal.\n");
        var lenses = (await client.RequestAsync("textDocument/codeLens", new { textDocument = new { uri } })).EnumerateArray().ToList();
        Assert.Equal(2, lenses.Count); // "x" has too little text
        Assert.Equal("Business 70%", lenses[0].GetProperty("command").GetProperty("title").GetString());
        Assert.Equal("agnews/classify",
            lenses[0].GetProperty("command").GetProperty("command").GetString()); // runs as the hover at its line
        var range = lenses[0].GetProperty("range");
        Assert.Equal((0, 0, 0, 27), (range.GetProperty("start").GetProperty("line").GetInt32(),
            range.GetProperty("start").GetProperty("character").GetInt32(),
            range.GetProperty("end").GetProperty("line").GetInt32(),
            range.GetProperty("end").GetProperty("character").GetInt32())); // the first line only
        Assert.Equal("Sports 70%", lenses[1].GetProperty("command").GetProperty("title").GetString());
        Assert.Equal(5, lenses[1].GetProperty("range").GetProperty("start").GetProperty("line").GetInt32());

        // a document that is not open has none; the limit of labelled paragraphs holds
        Assert.Equal(0, (await client.RequestAsync("textDocument/codeLens", new { textDocument = new { uri = "file:///w/closed.md" } }))
            .GetArrayLength());
    }

    [Fact]
    public async Task CodeLens_labels_at_most_the_configured_number_of_paragraphs()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync(initializationOptions: new { maxInlineLabels = 3 });
        const string uri = "file:///w/many.txt";
        await client.OpenAsync(uri, string.Join("\n\n", Enumerable.Range(0, 10).Select(i => $"Paragraph {i} about the markets.")));
        Assert.Equal(3, (await client.RequestAsync("textDocument/codeLens", new { textDocument = new { uri } })).GetArrayLength());
    }

    [Fact]
    public async Task Published_labels_follow_edits_after_typing_pauses()
    {
        // On a fake clock: the pause is the clock's, not the machine's, so a slow machine can neither fail this nor pass
        // it without the debounce working.
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var client = new LspTestClient(time: clock);
        await client.InitializedAsync();
        const string uri = "file:///w/follow.txt";
        await client.OpenAsync(uri, "Stocks fell as markets slid.\n");
        await client.RequestAsync("agnews/labelDocument", new { uri, unit = "paragraph" });
        await LifecycleTests.WaitUntil(() => client.Target.Diagnostics.Count == 1);
        var labelsInPlace = client.Session.Context.LabelsInPlace;

        // two quick edits: one re-labelling, after the second, for its version
        await client.NotifyAsync("textDocument/didChange", new { textDocument = new { uri, version = 2 },
            contentChanges = new[] { new { range = new { start = new { line = 1, character = 0 }, end = new { line = 1, character = 0 } },
                text = "\nThe match" } } });
        await LifecycleTests.WaitUntil(() => labelsInPlace.Pending == 1);
        clock.Advance(LabelsInPlace.Debounce / 2);
        await client.NotifyAsync("textDocument/didChange", new { textDocument = new { uri, version = 3 },
            contentChanges = new[] { new { range = new { start = new { line = 2, character = 9 }, end = new { line = 2, character = 9 } },
                text = " ended with a goal." } } });
        await client.RequestAsync("agnews/status", new { }); // the change has been read: the first pause was cancelled
        clock.Advance(LabelsInPlace.Debounce - TimeSpan.FromMilliseconds(1));
        await client.RequestAsync("agnews/status", new { });
        Assert.Single(client.Target.Diagnostics); // still within the second pause: nothing published
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await LifecycleTests.WaitUntil(() => labelsInPlace.Pending == 0);
        Assert.Equal(2, client.Target.Diagnostics.Count);
        var latest = client.Target.Diagnostics.Last();
        Assert.Equal(3, latest.GetProperty("version").GetInt32());
        var messages = latest.GetProperty("diagnostics").EnumerateArray().Select(d => d.GetProperty("message").GetString()).ToList();
        Assert.Equal(["Business 70%", "Sports 70%"], messages);
        Assert.Equal(2, latest.GetProperty("diagnostics")[1].GetProperty("range").GetProperty("start").GetProperty("line").GetInt32());
    }

    [Fact]
    public void The_prediction_cache_forgets_the_least_recently_used_within_its_bounds()
    {
        var cache = new PredictionCache(maxEntries: 2, maxChars: 1000);
        var a = FakeLabelingEngine.LabelOf("a market text");
        cache.Add("a", a);
        cache.Add("b", FakeLabelingEngine.LabelOf("b"));
        Assert.True(cache.TryGet("a", out var got));
        Assert.Same(a, got); // "a" is now the most recent
        cache.Add("c", FakeLabelingEngine.LabelOf("c"));
        Assert.False(cache.TryGet("b", out _));
        Assert.True(cache.TryGet("a", out _));
        Assert.True(cache.TryGet("c", out _));

        var small = new PredictionCache(maxEntries: 100, maxChars: 160);
        small.Add(new string('x', 9), a);
        small.Add(new string('y', 9), a);
        small.Add(new string('z', 11), a); // a text over maxChars / 16 is not kept at all
        Assert.Equal(2, small.Count);
        for (var i = 0; i < 20; i++) small.Add(new string((char)('a' + i), 9), a);
        Assert.True(small.Count * 9 <= 160);
    }
}
