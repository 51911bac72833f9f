using AgNewsLsp.Server.Protocol;
using AgNewsLsp.Server.Protocol.Handlers;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Tests.Protocol;

public class EmbedRequestTests
{
    [Fact]
    public async Task Embed_returns_one_vector_per_text_in_input_order()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        var result = await client.RequestAsync("agnews/embed", new { texts = new[] { "banana", "a cat", "xyz" }, pooling = "cls" });
        Assert.Equal("cls", result.GetProperty("pooling").GetString());
        Assert.Equal(3, result.GetProperty("dimension").GetInt32());
        Assert.Equal("fake0fingerprint", result.GetProperty("fingerprint").GetString());
        var vectors = result.GetProperty("vectors").EnumerateArray()
            .Select(v => v.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();
        // The fake engine's vector is [length, count of 'a', length of the pooling's name].
        Assert.Equal([[6f, 3f, 3f], [5f, 2f, 3f], [3f, 0f, 3f]], vectors);

        var none = await client.RequestAsync("agnews/embed", new { texts = Array.Empty<string>() });
        Assert.Empty(none.GetProperty("vectors").EnumerateArray());
    }

    [Fact]
    public async Task Embed_refuses_missing_texts_unknown_pooling_and_oversized_batches()
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        Assert.Equal(ErrorCodes.InvalidParams, await LspTestClient.ErrorCodeOf(() => client.RequestAsync("agnews/embed", new { })));
        var (code, message) = await LspTestClient.ErrorOf(() =>
            client.RequestAsync("agnews/embed", new { texts = new[] { "a" }, pooling = "max" }));
        Assert.Equal(ErrorCodes.InvalidParams, code);
        Assert.Contains("pooling must be one of", message);
        Assert.Contains("'max'", message);
        var tooMany = Enumerable.Repeat("text", EmbedHandler.MaxTexts + 1).ToArray();
        (code, message) = await LspTestClient.ErrorOf(() => client.RequestAsync("agnews/embed", new { texts = tooMany }));
        Assert.Equal(ErrorCodes.BadInput, code);
        Assert.Contains($"the limit is {EmbedHandler.MaxTexts}", message);
        Assert.Equal(ErrorCodes.BadInput, await LspTestClient.ErrorCodeOf(() =>
            client.RequestAsync("agnews/embed", new { texts = new[] { "bin\0ary" } })));
    }
}
