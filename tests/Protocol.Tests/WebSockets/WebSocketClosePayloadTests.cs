using MadBase.Protocol.WebSockets;
using static MadBase.Protocol.Tests.WebSockets.WebSocketTestData;

namespace MadBase.Protocol.Tests.WebSockets;

public sealed class WebSocketClosePayloadTests
{
    [Fact]
    public void TryParse_CodeAndReason_ReturnsBoth()
    {
        byte[] body = Hex("03e9 676f6e65"); // 1001 "gone"

        Assert.True(WebSocketClosePayload.TryParse(body, out ushort code, out ReadOnlySpan<byte> reason));
        Assert.Equal(WebSocketCloseStatus.GoingAway, code);
        Assert.Equal("gone"u8.ToArray(), reason.ToArray());
    }

    [Fact]
    public void TryParse_EmptyBody_ReturnsFalseWithNoStatus()
    {
        Assert.False(WebSocketClosePayload.TryParse([], out ushort code, out ReadOnlySpan<byte> reason));
        Assert.Equal(WebSocketCloseStatus.NoStatusReceived, code);
        Assert.True(reason.IsEmpty);
    }

    [Fact]
    public void TryParse_OneByteBody_ThrowsInvalidClosePayload1002()
    {
        var ex = Assert.Throws<ProtocolException>(() => WebSocketClosePayload.TryParse([0x03], out _, out _));

        Assert.Equal(WebSocketProtocolError.InvalidClosePayload, ex.ReasonAs<WebSocketProtocolError>());
        Assert.Equal(1002, WebSocketProtocolError.InvalidClosePayload.ToCloseStatus());
    }

    [Theory]
    [InlineData("0000")] // 0
    [InlineData("03e7")] // 999
    [InlineData("03ec")] // 1004 reserved
    [InlineData("03ed")] // 1005 no status: API only
    [InlineData("03ee")] // 1006 abnormal: API only
    [InlineData("03f7")] // 1015 TLS: API only
    [InlineData("07d0")] // 2000 unassigned
    [InlineData("0bb7")] // 2999
    [InlineData("1388")] // 5000
    public void TryParse_CodeNotAllowedOnWire_ThrowsInvalidCloseStatus1002(string hex)
    {
        var ex = Assert.Throws<ProtocolException>(() => WebSocketClosePayload.TryParse(Hex(hex), out _, out _));

        Assert.Equal(WebSocketProtocolError.InvalidCloseStatus, ex.ReasonAs<WebSocketProtocolError>());
        Assert.Equal(1002, WebSocketProtocolError.InvalidCloseStatus.ToCloseStatus());
    }

    [Fact]
    public void TryParse_ReasonNotUtf8_ThrowsInvalidUtf8With1007()
    {
        byte[] body = Hex("03e8 c328"); // 1000, then C3 followed by a non-continuation byte

        var ex = Assert.Throws<ProtocolException>(() => WebSocketClosePayload.TryParse(body, out _, out _));

        Assert.Equal(WebSocketProtocolError.InvalidUtf8, ex.ReasonAs<WebSocketProtocolError>());
        Assert.Equal(1007, WebSocketProtocolError.InvalidUtf8.ToCloseStatus());
    }

    [Fact]
    public void Write_LongAsciiReason_TruncatesTo123Bytes()
    {
        byte[] body = new byte[WebSocketClosePayload.MaxLength];

        int written = WebSocketClosePayload.Write(body, 4000, new string('x', 200));

        Assert.Equal(125, written);
        Assert.Equal(Hex("0fa0"), body[..2]); // 4000
    }

    [Fact]
    public void Write_ReasonCutInsideMultiByteCharacter_TruncatesOnUtf8Boundary()
    {
        // 61 'a' + 40 × '€' (3 bytes each) = 121 bytes, then '€' would need bytes 122..124: only 123 fit.
        string reason = "a" + new string('€', 41);
        byte[] body = new byte[WebSocketClosePayload.MaxLength];

        int written = WebSocketClosePayload.Write(body, 1000, reason);

        Assert.Equal(2 + 121, written);
        Assert.True(WebSocketClosePayload.TryParse(body.AsSpan(0, written), out _, out ReadOnlySpan<byte> parsed));
        Assert.Equal(reason[..41], System.Text.Encoding.UTF8.GetString(parsed));
    }

    [Fact]
    public void Write_SurrogatePairAtLimit_NeverSplitsPair()
    {
        // 120 ASCII bytes + U+1F600 (4 bytes) = 124 > 123: the emoji is dropped whole.
        string reason = new string('a', 120) + "\U0001F600";
        byte[] body = new byte[WebSocketClosePayload.MaxLength];

        int written = WebSocketClosePayload.Write(body, 1000, reason);

        Assert.Equal(2 + 120, written);
    }

    [Fact]
    public void Write_CodeNotAllowedOnWire_ThrowsArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WebSocketClosePayload.Write(new byte[125], 1005, "x"));
    }

    [Fact]
    public void GetLength_Reason_MatchesWrite()
    {
        Assert.Equal(2 + 3, WebSocketClosePayload.GetLength("bye"));
        Assert.Equal(125, WebSocketClosePayload.GetLength(new string('x', 500)));
    }
}
