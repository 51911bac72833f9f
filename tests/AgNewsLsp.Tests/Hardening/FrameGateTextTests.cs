using System.Buffers;
using System.Text;
using AgNewsLsp.Server.Protocol;
using AgNewsLsp.Server.Protocol.Transport;

namespace AgNewsLsp.Tests.Hardening;

/// <summary>The gate's rules for text the serializer behind it would throw on: depth, surrogate escapes, header line ends.</summary>
public class FrameGateTextTests
{
    private static RejectedFrame? Validate(string json) => FrameGate.Validate(Encoding.UTF8.GetBytes(json));

    [Theory]
    [InlineData("\"a\"", false)]
    [InlineData("\"\\ud83d\\ude00\"", false)]        // a pair: one emoji
    [InlineData("\"\\\\ud800\"", false)]             // an escaped backslash, then the letters u d 8 0 0
    [InlineData("\"\\n\\u0041\\\"\"", false)]
    [InlineData("\"\\ud800\"", true)]                // a high half alone
    [InlineData("\"\\udc00x\"", true)]               // a low half alone
    [InlineData("\"\\ud83dx\"", true)]               // a high half followed by a plain character
    [InlineData("\"\\ud83d\\u0041\"", true)]         // a high half followed by another escape
    [InlineData("\"\\ud83d\\ud83d\\ude00\"", true)]  // two high halves, then one low
    public void Lone_surrogate_escapes_are_found_and_pairs_are_not(string jsonString, bool lone)
    {
        var raw = Encoding.UTF8.GetBytes(jsonString[1..^1]); // the string's escaped bytes, as the reader hands them over
        Assert.Equal(lone, FrameGate.HasLoneSurrogate(raw));
        var message = $"{{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":{{\"text\":{jsonString}}}}}";
        Assert.Equal(lone, Validate(message) is { Code: ErrorCodes.ParseError });
    }

    [Fact]
    public void A_lone_surrogate_after_a_good_id_is_answered_with_that_id()
    {
        var rejection = Validate("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"m\",\"params\":{\"\\udfff\":1}}");
        Assert.Equal(ErrorCodes.InvalidRequest, rejection!.Code);
        Assert.Equal(7, rejection.Id!.Value.GetInt32());
    }

    [Theory]
    [InlineData(FrameGate.MaxDepth, false)]
    [InlineData(FrameGate.MaxDepth + 1, true)]
    [InlineData(63, true)]
    [InlineData(10_000, true)]
    public void Nesting_is_refused_above_one_depth_limit(int depth, bool refused)
    {
        // The root object is level 1, params level 2, then depth - 2 arrays.
        var arrays = depth - 2;
        var message =
            $"{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{{\"x\":{new string('[', arrays)}{new string(']', arrays)}}}}}";
        var rejection = Validate(message);
        Assert.Equal(refused, rejection is not null);
        if (refused) Assert.Contains($"nested deeper than {FrameGate.MaxDepth} levels", rejection!.Message);
    }

    [Fact]
    public void The_gates_depth_limit_is_below_the_serializers()
    {
        var serializer = AgNewsLsp.Server.Wire.WireJson.Options.MaxDepth;
        Assert.True(FrameGate.MaxDepth < (serializer == 0 ? 64 : serializer));
    }

    [Fact]
    public void Duplicate_ids_are_refused()
    {
        Assert.Equal(ErrorCodes.InvalidRequest, Validate("{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"m\"}")!.Code);
    }

    [Theory]
    [InlineData("Content-Length: 2\r\n\r\n{}", 17, 4)]
    [InlineData("Content-Length: 2\n\n{}", 17, 2)]
    [InlineData("Content-Length: 2\r\n\n{}", 17, 3)]
    [InlineData("Content-Length: 2\nContent-Type: x\n\n{}", 33, 2)]
    [InlineData("Content-Length: 2\r\nContent-Type: x\r\n\r\n{}", 34, 4)]
    public void A_header_block_ends_at_its_first_empty_line_whatever_the_line_ends(string input, long at, int length)
    {
        Assert.Equal((at, length), FrameGate.FindHeaderEnd(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(input))));
        Assert.Equal((2L, (string?)null), FrameGate.ParseHeader(input[..(int)at], 100));
    }

    [Fact]
    public void No_header_end_is_found_in_a_partial_header()
    {
        Assert.Null(FrameGate.FindHeaderEnd(new ReadOnlySequence<byte>("Content-Length: 2\r\n"u8.ToArray())));
    }
}
