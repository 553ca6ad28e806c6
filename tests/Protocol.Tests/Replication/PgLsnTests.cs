using MadBase.Protocol.Replication;

namespace MadBase.Protocol.Tests.Replication;

public sealed class PgLsnTests
{
    [Theory]
    [InlineData(0x1546A08UL, "0/1546A08")]
    [InlineData(0UL, "0/0")]
    [InlineData(0x00000003_2EC205B8UL, "3/2EC205B8")]
    [InlineData(ulong.MaxValue, "FFFFFFFF/FFFFFFFF")]
    public void Format_Lsn_MatchesPostgresText(ulong lsn, string text)
    {
        Assert.Equal(text, PgLsn.Format(lsn));
        Assert.True(PgLsn.TryParse(text, out var parsed));
        Assert.Equal(lsn, parsed);
    }

    [Fact]
    public void TryParse_LowerCaseHex_Parses()
    {
        Assert.True(PgLsn.TryParse("0/deadbeef", out var lsn));
        Assert.Equal(0xDEADBEEFUL, lsn);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("/1")]
    [InlineData("1/")]
    [InlineData("1/2/3")]
    [InlineData("123456789/0")]
    [InlineData("0/123456789")]
    [InlineData("0/x1")]
    [InlineData("-1/0")]
    [InlineData(" 0/1")]
    public void TryParse_Malformed_ReturnsFalse(string text) => Assert.False(PgLsn.TryParse(text, out _));
}
