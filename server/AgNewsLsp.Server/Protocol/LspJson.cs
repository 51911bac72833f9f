using System.Text.Json;
using System.Text.Json.Serialization;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Server.Protocol;

/// <summary>The one serializer configuration of the wire: camelCase, nulls left out of objects.</summary>
public static class LspJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    public static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DictionaryKeyPolicy = null, // label names are data, keep them as they are
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            NumberHandling = JsonNumberHandling.Strict,
            PropertyNameCaseInsensitive = true,
            AllowTrailingCommas = false,
            // A missing required field or a null where none is allowed is a -32602, not a NullReferenceException later.
            RespectRequiredConstructorParameters = true,
            RespectNullableAnnotations = true,
        };
        return options;
    }

    /// <summary>
    /// No params: absent, null, or an empty array (what Lua's <c>{}</c> encodes to in Neovim, and what a JSON-RPC
    /// library sends for a call without arguments). Where every param is optional, each of these reads as <c>{}</c>.
    /// </summary>
    public static bool IsAbsent(JsonElement? element) =>
        element is not { } e || e.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null
        || (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 0);

    /// <summary>
    /// Reads request params into <typeparamref name="T"/>; anything that does not fit is the client's
    /// mistake and becomes -32602 InvalidParams, never a crash.
    /// </summary>
    public static T ReadParams<T>(JsonElement? element, string method) where T : class
    {
        if (element is not { } e || e.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
            throw ProtocolErrors.InvalidParams($"{method}: params are required");
        if (e.ValueKind != JsonValueKind.Object)
            throw ProtocolErrors.InvalidParams($"{method}: params must be an object");
        try
        {
            return e.Deserialize<T>(Options) ?? throw ProtocolErrors.InvalidParams($"{method}: params are required");
        }
        catch (JsonException ex)
        {
            var where = string.IsNullOrEmpty(ex.Path) ? "" : $" at {ex.Path}";
            throw ProtocolErrors.InvalidParams($"{method}: invalid params{where}: {FirstSentence(ex.Message)}");
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or FormatException)
        {
            throw ProtocolErrors.InvalidParams($"{method}: invalid params: {FirstSentence(ex.Message)}");
        }
    }

    public static JsonElement ToElement<T>(T value) => JsonSerializer.SerializeToElement(value, Options);

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". Path:", StringComparison.Ordinal);
        message = cut > 0 ? message[..cut] : message;
        // Wire names, not .NET ones: "could not be converted to TextDocumentIdentifier", "System.Int32" -> "Int32".
        return message.Replace("AgNewsLsp.Server.Protocol.", "", StringComparison.Ordinal).Replace("System.", "", StringComparison.Ordinal);
    }
}
