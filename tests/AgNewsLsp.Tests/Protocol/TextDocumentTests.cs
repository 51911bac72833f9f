using AgNewsLsp.Text;
using AgNewsLsp.Server.Protocol;
using AgNewsLsp.Server.Protocol.Documents;
using AgNewsLsp.Server.Protocol.Transport;
using Range = AgNewsLsp.Server.Wire.Range;
using AgNewsLsp.Server.Wire;

namespace AgNewsLsp.Tests.Protocol;

public class TextDocumentTests
{
    [Fact]
    public void Positions_count_utf16_code_units_and_clamp()
    {
        // "a😀b" : the emoji is two UTF-16 code units
        var doc = new TextDocument("u", 1, "a😀b\r\nsecond\nthird");
        Assert.Equal(3, doc.OffsetAt(new Position(0, 3)));      // before 'b'
        Assert.Equal('b', doc.Text[doc.OffsetAt(new Position(0, 3))]);
        Assert.Equal(4, doc.OffsetAt(new Position(0, 99)));     // clamps to the end of line 0, before \r\n
        Assert.Equal(6, doc.OffsetAt(new Position(1, 0)));
        Assert.Equal(doc.Text.Length, doc.OffsetAt(new Position(9, 0)));
        Assert.Equal(new Position(1, 2), doc.PositionAt(8));
        Assert.Equal(new Position(2, 5), doc.PositionAt(doc.Text.Length));
        Assert.Equal(3, doc.LineCount);
    }

    [Fact]
    public void Incremental_changes_apply_in_order_and_full_changes_replace()
    {
        var doc = new TextDocument("u", 1, "hello world\nline two");
        var next = doc.Apply(
        [
            new TextDocumentContentChangeEvent("there", new Range(new Position(0, 6), new Position(0, 11))),
            new TextDocumentContentChangeEvent("!\nnew", new Range(new Position(1, 8), new Position(1, 8))),
        ], 2);
        Assert.Equal("hello there\nline two!\nnew", next.Text);
        Assert.Equal(2, next.Version);
        Assert.Equal(3, next.LineCount);
        var full = next.Apply([new TextDocumentContentChangeEvent("all new")], 3);
        Assert.Equal("all new", full.Text);
        var deleted = full.Apply([new TextDocumentContentChangeEvent("", new Range(new Position(0, 0), new Position(0, 4)))], 4);
        Assert.Equal("new", deleted.Text);
    }

    [Fact]
    public void Paragraphs_and_lines_are_trimmed_spans()
    {
        var doc = new TextDocument("u", 1, "  first para\nstill first  \n \t\nsecond\r\n\r\n\r\nthird");
        var paragraphs = TextUnits.Paragraphs(doc);
        Assert.Equal(["first para\nstill first", "second", "third"], paragraphs.Select(p => p.Text));
        Assert.Equal(new Position(0, 2), doc.PositionAt(paragraphs[0].Start));
        Assert.Equal("still first", TextUnits.At(doc, new Position(1, 0), TextUnit.Line)!.Value.Text);
        Assert.Equal("first para\nstill first", TextUnits.At(doc, new Position(1, 0), TextUnit.Paragraph)!.Value.Text);
        Assert.Null(TextUnits.At(doc, new Position(2, 0), TextUnit.Paragraph));
        Assert.False(AgNewsLsp.Engine.DocumentLabeler.HasEnoughText("a b"));
        Assert.False(AgNewsLsp.Engine.DocumentLabeler.HasEnoughText(" -- !! "));
        Assert.True(AgNewsLsp.Engine.DocumentLabeler.HasEnoughText("abc"));
    }

    [Theory]
    [InlineData("{", ErrorCodes.ParseError)]
    [InlineData("42", ErrorCodes.InvalidRequest)]
    [InlineData("""{"jsonrpc":"2.0","id":{},"method":"x"}""", ErrorCodes.InvalidRequest)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"x","params":3}""", ErrorCodes.InvalidParams)]
    [InlineData("""{"jsonrpc":"2.0","id":1}""", ErrorCodes.InvalidRequest)]
    public void FrameGate_rejects_malformed_messages(string json, int code)
    {
        var rejected = FrameGate.Validate(System.Text.Encoding.UTF8.GetBytes(json));
        Assert.NotNull(rejected);
        Assert.Equal(code, rejected.Code);
        Assert.True(rejected.Reply);
    }

    [Fact]
    public void FrameGate_does_not_answer_a_notification() =>
        Assert.False(FrameGate.Validate("""{"jsonrpc":"2.0","method":"x","params":3}"""u8.ToArray())!.Reply);

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"x","params":{}}""")]
    [InlineData("""{"jsonrpc":"2.0","method":"x"}""")]
    [InlineData("""{"jsonrpc":"2.0","id":"a","result":null}""")]
    [InlineData("""{"jsonrpc":"2.0","id":3,"error":{"code":1,"message":"m"}}""")]
    public void FrameGate_passes_wellformed_messages(string json) =>
        Assert.Null(FrameGate.Validate(System.Text.Encoding.UTF8.GetBytes(json)));
}
