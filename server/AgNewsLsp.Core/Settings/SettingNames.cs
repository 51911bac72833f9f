using System.Reflection;
using System.Text.Json.Serialization;

namespace AgNewsLsp.Settings;

/// <summary>
/// The one spelling of a setting's values: each enum member's <see cref="JsonStringEnumMemberNameAttribute"/>
/// (e.g. "cls-last4"), used alike by head files, the wire, the command line and messages.
/// </summary>
public static class SettingNames
{
    private static class Table<T> where T : struct, Enum
    {
        public static readonly IReadOnlyDictionary<T, string> Names = Enum.GetValues<T>().ToDictionary(v => v, v =>
            typeof(T).GetField(v.ToString())!.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name
                ?? v.ToString().ToLowerInvariant());
    }

    public static string Name<T>(T value) where T : struct, Enum => Table<T>.Names[value];

    public static IReadOnlyList<string> All<T>() where T : struct, Enum => Table<T>.Names.Values.ToArray();

    /// <summary>
    /// The value spelled <paramref name="text"/> (any case, trimmed); <paramref name="what"/> names the setting in the error.
    /// </summary>
    public static T Parse<T>(string text, string what) where T : struct, Enum
    {
        var wanted = text.Trim();
        foreach (var (value, name) in Table<T>.Names)
            if (string.Equals(name, wanted, StringComparison.OrdinalIgnoreCase)) return value;
        throw new ArgumentException($"{what} must be one of {string.Join(", ", All<T>())}, not '{text}'.");
    }
}
