using System.Text.Json;
using AgNewsLsp.Text;

namespace AgNewsLsp.Tests.Text;

public class TextUnitTests
{
    [Theory]
    [InlineData(TextUnit.Document, "document")]
    [InlineData(TextUnit.Paragraph, "paragraph")]
    [InlineData(TextUnit.Line, "line")]
    public void A_unit_has_one_spelling_in_json_and_in_words(TextUnit unit, string name)
    {
        Assert.Equal(name, unit.Name());
        Assert.Equal($"\"{name}\"", JsonSerializer.Serialize(unit));
        Assert.Equal(unit, JsonSerializer.Deserialize<TextUnit>($"\"{name}\""));
        Assert.Equal(unit, TextUnitNames.Parse(name.ToUpperInvariant(), "unit", unit));
    }

    [Fact]
    public void Parsing_accepts_only_the_units_allowed_there_and_names_them()
    {
        var e = Assert.Throws<ArgumentException>(() => TextUnitNames.Parse("document", "hoverUnit", TextUnit.Paragraph, TextUnit.Line));
        Assert.Equal("hoverUnit must be \"paragraph\" or \"line\", not \"document\"", e.Message);
    }
}
