using MadBase.Protocol.WebSockets;

namespace MadBase.Protocol.Tests.WebSockets;

public sealed class WebSocketCloseStatusTests
{
    [Theory]
    [InlineData(1000)]
    [InlineData(1001)]
    [InlineData(1002)]
    [InlineData(1003)]
    [InlineData(1007)]
    [InlineData(1008)]
    [InlineData(1009)]
    [InlineData(1010)]
    [InlineData(1011)]
    [InlineData(1012)]
    [InlineData(1013)]
    [InlineData(1014)]
    [InlineData(3000)]
    [InlineData(4999)]
    public void IsValidOnWire_SendableCode_ReturnsTrue(int code)
    {
        Assert.True(WebSocketCloseStatus.IsValidOnWire((ushort)code));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(999)]
    [InlineData(1004)]
    [InlineData(1005)]
    [InlineData(1006)]
    [InlineData(1015)]
    [InlineData(1016)]
    [InlineData(2999)]
    [InlineData(5000)]
    [InlineData(65535)]
    public void IsValidOnWire_ReservedOrUnassignedCode_ReturnsFalse(int code)
    {
        Assert.False(WebSocketCloseStatus.IsValidOnWire((ushort)code));
    }
}
