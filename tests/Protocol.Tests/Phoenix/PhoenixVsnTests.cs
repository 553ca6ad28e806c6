using MadBase.Protocol.Phoenix;

namespace MadBase.Protocol.Tests.Phoenix;

public sealed class PhoenixVsnTests
{
    [Theory]
    [InlineData("2.0.0", 2)]
    [InlineData("2.0.17", 2)]
    [InlineData("1.0.0", 1)]
    [InlineData("1.0.3", 1)]
    [InlineData("", 1)]
    public void TryParse_SupportedVsn_ReturnsVersion(string vsn, int expected)
    {
        Assert.True(PhoenixVsn.TryParse(vsn, out PhoenixVersion version));
        Assert.Equal((PhoenixVersion)expected, version);
    }

    [Theory]
    [InlineData("3.0.0")]
    [InlineData("2.1.0")]
    [InlineData("2.0")]
    [InlineData("2.0.")]
    [InlineData("2.0.x")]
    [InlineData("v2.0.0")]
    [InlineData("2.0.0 ")]
    public void TryParse_UnsupportedVsn_ReturnsFalse(string vsn)
    {
        Assert.False(PhoenixVsn.TryParse(vsn, out _));
    }
}
