using MadBase.Protocol.WebSockets;

namespace MadBase.Protocol.Tests.WebSockets;

public sealed class WebSocketProtocolErrorExtensionsTests
{
    [Fact]
    public void ToCloseStatus_EveryReason_MapsTo1002Or1007Or1009()
    {
        foreach (WebSocketProtocolError reason in Enum.GetValues<WebSocketProtocolError>())
        {
            ushort expected = reason switch
            {
                WebSocketProtocolError.InvalidUtf8 => 1007,
                WebSocketProtocolError.MessageTooBig => 1009,
                _ => 1002,
            };
            Assert.Equal(expected, reason.ToCloseStatus());
            Assert.True(WebSocketCloseStatus.IsValidOnWire(reason.ToCloseStatus()));
        }
    }
}
