using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgNewsLsp.Server.Protocol;
using AgNewsLsp.Server.Protocol.Handlers;

namespace AgNewsLsp.Tests.Protocol;

/// <summary>
/// A client's mistake in params is answered in the wire's words: the JSON path and what kind of value was expected,
/// never a .NET type name (a user of Neovim or Emacs has no use for "AgNewsLsp.Server.Wire.TextDocumentIdentifier").
/// </summary>
public class ParamErrorMessageTests
{
    /// <summary>Every handler's params type, and for each of its properties a value of the wrong JSON kind.</summary>
    public static TheoryData<string, string> WrongParams()
    {
        var data = new TheoryData<string, string>();
        foreach (var handler in IRequestHandler.All)
        {
            var paramsType = ParamsTypeOf(handler.GetType());
            data.Add(handler.Method, "5"); // params that are not an object
            foreach (var property in paramsType.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                var name = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
                data.Add(handler.Method, $"{{\"{name}\": {WrongValueFor(property.PropertyType)}}}");
                if (IsRecordOfOurs(property.PropertyType)) // one level down: an object whose own fields are wrong
                    foreach (var inner in property.PropertyType.GetProperties(BindingFlags.Public | BindingFlags.Instance))
                        data.Add(handler.Method,
                            $"{{\"{name}\": {{\"{JsonNamingPolicy.CamelCase.ConvertName(inner.Name)}\": " +
                            $"{WrongValueFor(inner.PropertyType)}}}}}");
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(WrongParams))]
    public async Task Bad_params_errors_name_no_dotnet_type(string method, string paramsJson)
    {
        await using var client = new LspTestClient();
        await client.InitializedAsync();
        var (code, message) = await LspTestClient.ErrorOf(() => client.RequestAsync(method, JsonDocument.Parse(paramsJson).RootElement));
        Assert.Equal(ErrorCodes.InvalidParams, code);
        Assert.False(DotNetName.IsMatch(message), message);
    }

    /// <summary>A namespace-qualified name, a CLR primitive's name, or a generic arity: all .NET, none of them the wire's.</summary>
    private static readonly Regex DotNetName = new(
        @"AgNewsLsp|System\.|\b(Int16|Int32|Int64|UInt32|Double|Single|Boolean|String|Nullable|List|IReadOnlyList|Dictionary)\b|" +
        @"`\d|\b[A-Z]\w+(Params|Identifier|Position|Range)\b",
        RegexOptions.CultureInvariant);

    private static Type ParamsTypeOf(Type handler)
    {
        for (var t = handler; t is not null; t = t.BaseType)
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(RequestHandler<,>)) return t.GetGenericArguments()[0];
        throw new InvalidOperationException($"{handler.Name} is not a RequestHandler<TParams, TResult>");
    }

    private static bool IsRecordOfOurs(Type t) => t.Namespace?.StartsWith("AgNewsLsp", StringComparison.Ordinal) == true && t.IsClass;

    private static string WrongValueFor(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (t == typeof(string) || t.IsEnum) return "5";
        if (t == typeof(bool) || t == typeof(int) || t == typeof(long) || t == typeof(double) || t == typeof(float)) return "\"x\"";
        return t.IsArray || (t.IsGenericType && typeof(System.Collections.IEnumerable).IsAssignableFrom(t)) ? "{}" : "[1]";
    }
}
