using System.Text.Json;

namespace AgNewsLsp.Tests.Protocol;

public class HoverTests
{
    private const string Uri = "file:///news.txt";
    private const string Text = "The match ended with a late goal\nfor the home side.\n\nStock markets fell sharply today.\n\nok\n";

    [Fact]
    public async Task Hover_labels_the_paragraph_in_markdown_with_bars_and_percentages()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        await client.OpenAsync(Uri, Text);
        var hover = await client.HoverAsync(Uri, 1, 3);
        var contents = hover.GetProperty("contents");
        Assert.Equal("markdown", contents.GetProperty("kind").GetString());
        var md = contents.GetProperty("value").GetString()!;
        Assert.StartsWith("**Sports** 70.0%", md);
        Assert.Contains("`World    █░░░░░░░░░` 10.0%", md);
        Assert.Contains("`Sports   ███████░░░` 70.0%", md);
        Assert.Contains("Sci/Tech", md);
        // the paragraph: lines 0-1
        var range = hover.GetProperty("range");
        Assert.Equal(0, range.GetProperty("start").GetProperty("line").GetInt32());
        Assert.Equal(1, range.GetProperty("end").GetProperty("line").GetInt32());
        Assert.Equal("for the home side.".Length, range.GetProperty("end").GetProperty("character").GetInt32());
    }

    [Fact]
    public async Task Hover_on_a_long_paragraph_says_only_the_first_part_was_read()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        var longText = string.Join(' ', Enumerable.Repeat("The striker scored again in the final.", 80));
        await client.OpenAsync(Uri, longText);
        var md = (await client.HoverAsync(Uri, 0, 5)).GetProperty("contents").GetProperty("value").GetString()!;
        Assert.Contains($"*long text: {longText.Length / 4 + 1} tokens, only the first part was read*", md);
    }

    [Fact]
    public async Task Hover_on_another_paragraph_gets_its_label()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        await client.OpenAsync(Uri, Text);
        var hover = await client.HoverAsync(Uri, 3, 0);
        Assert.StartsWith("**Business**", hover.GetProperty("contents").GetProperty("value").GetString());
    }

    [Theory]
    [InlineData(2, 0)]   // blank line
    [InlineData(5, 1)]   // "ok": fewer than 3 word characters
    [InlineData(40, 0)]  // past the end
    public async Task Hover_on_blank_or_tiny_text_is_null(int line, int character)
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        await client.OpenAsync(Uri, Text);
        var hover = await client.HoverAsync(Uri, line, character);
        Assert.Equal(JsonValueKind.Null, hover.ValueKind);
    }

    [Fact]
    public async Task Hover_on_unknown_document_is_null()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        Assert.Equal(JsonValueKind.Null, (await client.HoverAsync("file:///nope.txt", 0, 0)).ValueKind);
    }

    [Fact]
    public async Task Line_unit_labels_only_the_line()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync(initializationOptions: new { hoverUnit = "line" });
        await client.OpenAsync(Uri, Text);
        // line 1 alone has no sports keyword: World; the paragraph would be Sports
        var hover = await client.HoverAsync(Uri, 1, 0);
        Assert.StartsWith("**World**", hover.GetProperty("contents").GetProperty("value").GetString());
        var range = hover.GetProperty("range");
        Assert.Equal(1, range.GetProperty("start").GetProperty("line").GetInt32());
        Assert.Equal(1, range.GetProperty("end").GetProperty("line").GetInt32());
    }

    [Fact]
    public async Task Incremental_and_full_changes_are_applied_before_the_next_hover()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        await client.OpenAsync(Uri, "Stock markets fell sharply today.");
        // replace "Stock markets" (0:0-0:13) with "New chip software"
        await client.NotifyAsync("textDocument/didChange", new
        {
            textDocument = new { uri = Uri, version = 2 },
            contentChanges = new object[]
            {
                new { range = new { start = new { line = 0, character = 0 }, end = new { line = 0, character = 13 } },
                    text = "New chip software" },
            },
        });
        var hover = await client.HoverAsync(Uri, 0, 2);
        Assert.StartsWith("**Sci/Tech**", hover.GetProperty("contents").GetProperty("value").GetString());

        await client.NotifyAsync("textDocument/didChange", new
        {
            textDocument = new { uri = Uri, version = 3 },
            contentChanges = new object[] { new { text = "A great match for the team." } },
        });
        hover = await client.HoverAsync(Uri, 0, 2);
        Assert.StartsWith("**Sports**", hover.GetProperty("contents").GetProperty("value").GetString());

        await client.NotifyAsync("textDocument/didClose", new { textDocument = new { uri = Uri } });
        Assert.Equal(JsonValueKind.Null, (await client.HoverAsync(Uri, 0, 2)).ValueKind);
    }
}
