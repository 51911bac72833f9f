using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgNewsLsp.Server.Wire;

/// <summary>The one serializer configuration of the wire: camelCase, nulls left out of objects.</summary>
public static class WireJson
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

    public static JsonElement ToElement<T>(T value) => JsonSerializer.SerializeToElement(value, Options);
}
