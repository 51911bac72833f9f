using System.Text.Json.Serialization;
using AgNewsLsp.Settings;

namespace AgNewsLsp.Text;

/// <summary>
/// The piece of a document that gets one label: the whole document, each paragraph (a run of non-blank lines)
/// or each line. Hovers use a paragraph or a line; labelling a document uses the document and, if asked, its
/// paragraphs.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<TextUnit>))]
public enum TextUnit
{
    [JsonStringEnumMemberName("document")] Document,
    [JsonStringEnumMemberName("paragraph")] Paragraph,
    [JsonStringEnumMemberName("line")] Line,
}

public static class TextUnitNames
{
    public static string Name(this TextUnit unit) => SettingNames.Name(unit);

    /// <summary>
    /// The unit spelled <paramref name="text"/> (any case) among <paramref name="allowed"/>; throws
    /// <see cref="ArgumentException"/> naming <paramref name="what"/> and the allowed spellings otherwise.
    /// </summary>
    public static TextUnit Parse(string text, string what, params TextUnit[] allowed)
    {
        var spellings = string.Join(" or ", allowed.Select(u => $"\"{u.Name()}\""));
        var unit = allowed.FirstOrDefault(u => string.Equals(u.Name(), text.Trim(), StringComparison.OrdinalIgnoreCase), (TextUnit)(-1));
        return unit != (TextUnit)(-1) ? unit : throw new ArgumentException($"{what} must be {spellings}, not \"{text}\"");
    }
}
