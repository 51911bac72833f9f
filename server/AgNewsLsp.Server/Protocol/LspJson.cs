using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Json.Serialization;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Server.Protocol;

/// <summary>
/// Reads a request's params into its wire type: anything that does not fit is the client's mistake, answered -32602 in
/// the wire's words (the JSON path and the kind of value expected), never a crash or a .NET type name.
/// </summary>
public static class LspJson
{
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
            return e.Deserialize<T>(WireJson.Options) ?? throw ProtocolErrors.InvalidParams($"{method}: params are required");
        }
        catch (JsonException ex)
        {
            var where = string.IsNullOrEmpty(ex.Path) ? "" : $" at {ex.Path}";
            throw ProtocolErrors.InvalidParams($"{method}: invalid params{where}: {WireProblem(ex, typeof(T), e)}");
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or FormatException)
        {
            throw ProtocolErrors.InvalidParams($"{method}: invalid params: {WithoutTypeNames(ex.Message)}");
        }
    }

    /// <summary>
    /// What was wrong, in the wire's words: the kind of value the path expects and the kind it got. The serializer's own
    /// message names .NET types ("could not be converted to AgNewsLsp.Server.Wire.Position", often the parent's), which
    /// mean nothing to an editor's user, so it is used only where the path says nothing, and then without its type names.
    /// </summary>
    private static string WireProblem(JsonException ex, Type paramsType, JsonElement root)
    {
        var message = ex.Message;
        var missing = Regex.Match(message, @"missing required properties including: (.+?)\.?(\s|$)");
        if (missing.Success) return $"missing required field {missing.Groups[1].Value}";
        var notNull = Regex.Match(message, @"'(\w+)' on type '[^']*' doesn't allow (setting )?null values");
        if (notNull.Success) return $"'{JsonNamingPolicy.CamelCase.ConvertName(notNull.Groups[1].Value)}' must not be null";
        if (ex.Path is { } path && ExpectedAt(paramsType, path) is { } expected)
            return ValueAt(root, path) is { } got ? $"expected {expected}, got {KindOf(got)}" : $"expected {expected}";
        return WithoutTypeNames(message);
    }

    /// <summary>The first sentence of a message, with every .NET type name taken out.</summary>
    private static string WithoutTypeNames(string message)
    {
        var cut = message.IndexOf(". Path:", StringComparison.Ordinal);
        message = cut > 0 ? message[..cut] : message;
        message = Regex.Replace(message, @"\s*(on|for) type '[^']*'", "");
        return Regex.Replace(message, @"\b(System|AgNewsLsp)(\.\w+)+(`\d+)?(\[\])?", "a value of another kind");
    }

    /// <summary>
    /// The JSON kind the params type expects at <paramref name="path"/> ("$.position.line", "$.texts[0]"); null when unknown.
    /// </summary>
    private static string? ExpectedAt(Type type, string path)
    {
        foreach (var step in PathSteps(path))
        {
            type = Nullable.GetUnderlyingType(type) ?? type;
            if (step is int)
            {
                if (ElementType(type) is not { } element) return null;
                type = element;
            }
            else if (type.GetProperties().FirstOrDefault(p => string.Equals(p.Name, (string)step, StringComparison.OrdinalIgnoreCase))
                     is { } property)
                type = property.PropertyType;
            else return null;
        }
        return WireKind(Nullable.GetUnderlyingType(type) ?? type);
    }

    private static string? WireKind(Type type)
    {
        if (type == typeof(string)) return "a string";
        if (type == typeof(bool)) return "true or false";
        if (type == typeof(int) || type == typeof(long) || type == typeof(short)) return "an integer";
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal)) return "a number";
        if (type.IsEnum)
            return "one of " + string.Join(", ",
                type.GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
                    .Select(f => f.GetCustomAttributes(typeof(JsonStringEnumMemberNameAttribute), false)
                        .OfType<JsonStringEnumMemberNameAttribute>().FirstOrDefault()?.Name
                        ?? JsonNamingPolicy.CamelCase.ConvertName(f.Name))
                    .Select(n => $"\"{n}\""));
        if (type == typeof(JsonElement) || type == typeof(object)) return null; // anything goes there
        if (ElementType(type) is { } element) return WireKind(element) is { } of ? $"an array of {Plural(of)}" : "an array";
        return "an object";
    }

    private static string Plural(string kind) => kind switch
    {
        "a string" => "strings",
        "an integer" => "integers",
        "a number" => "numbers",
        "an object" => "objects",
        _ => "values",
    };

    private static Type? ElementType(Type type) => type.IsArray ? type.GetElementType()
        : type.IsGenericType && type != typeof(string) && typeof(System.Collections.IEnumerable).IsAssignableFrom(type)
            ? type.GetGenericArguments()[0]
        : null;

    private static string KindOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    private static JsonElement? ValueAt(JsonElement root, string path)
    {
        var at = root;
        foreach (var step in PathSteps(path))
        {
            if (step is int index && at.ValueKind == JsonValueKind.Array && index < at.GetArrayLength()) at = at[index];
            else if (step is string name && at.ValueKind == JsonValueKind.Object
                     && at.EnumerateObject().FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
                         is { Value.ValueKind: not JsonValueKind.Undefined } found)
                at = found.Value;
            else return null;
        }
        return at;
    }

    /// <summary>The steps of a serializer path: property names as strings, array indexes as ints ("$.a.b[2]": a, b, 2).</summary>
    private static IEnumerable<object> PathSteps(string path)
    {
        foreach (Match m in Regex.Matches(path, @"\.(\w+)|\[(\d+)\]|\['([^']*)'\]"))
            yield return m.Groups[2].Success ? int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)
                : m.Groups[1].Success ? m.Groups[1].Value : m.Groups[3].Value;
    }
}
