using System.Text;
using MadBase.Protocol.WebSockets;

namespace MadBase.Protocol.Tests.WebSockets;

public sealed class WebSocketHandshakeTests
{
    [Fact]
    public void TryComputeAccept_Rfc6455SampleKey_ReturnsSpecAccept()
    {
        // RFC 6455 §1.3: key "dGhlIHNhbXBsZSBub25jZQ==" → accept "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
        Span<char> accept = stackalloc char[WebSocketHandshake.AcceptLength];

        Assert.True(WebSocketHandshake.TryComputeAccept("dGhlIHNhbXBsZSBub25jZQ==", accept));

        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", accept.ToString());
    }

    [Fact]
    public void TryComputeAccept_ByteDestination_WritesAscii()
    {
        byte[] accept = new byte[WebSocketHandshake.AcceptLength];

        Assert.True(WebSocketHandshake.TryComputeAccept("dGhlIHNhbXBsZSBub25jZQ==", accept));

        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", Encoding.ASCII.GetString(accept));
    }

    [Theory]
    [InlineData("")]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ")]      // padding missing
    [InlineData("dGhlIHNhbXBsZSBub25jZQ=")]     // 23 chars
    [InlineData("dGhlIHNhbXBsZSBub25jZQ===")]   // 25 chars
    [InlineData("dGhlIHNhbXBsZSBub25jZ!==")]    // not base64
    [InlineData("dGhlIHNhbXBsZSBub25jZXh4")]    // 24 chars but 18 bytes
    public void TryComputeAccept_InvalidKey_ReturnsFalse(string key)
    {
        Assert.False(WebSocketHandshake.IsValidClientKey(key));
        Assert.False(WebSocketHandshake.TryComputeAccept(key, new char[WebSocketHandshake.AcceptLength]));
    }

    [Fact]
    public void TryComputeAccept_DestinationTooSmall_ReturnsFalse()
    {
        Assert.False(WebSocketHandshake.TryComputeAccept("dGhlIHNhbXBsZSBub25jZQ==", new char[27]));
    }
}
