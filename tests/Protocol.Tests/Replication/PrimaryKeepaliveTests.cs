using MadBase.Protocol.Replication;

namespace MadBase.Protocol.Tests.Replication;

public sealed class PrimaryKeepaliveTests
{
    private static readonly byte[] s_keepalive = Convert.FromHexString(
        "6b" +                 // 'k' primary keepalive
        "00000000015406a0" +   // walEnd 0/15406A0
        "0002b0d5d4e94000" +   // serverClock 2024-01-01 00:00:00 UTC
        "01");                 // replyRequested = 1

    [Fact]
    public void TryRead_ValidKeepalive_ReturnsFields()
    {
        Assert.True(PrimaryKeepalive.TryRead(s_keepalive, out var keepalive, out var length));

        Assert.Equal(18, length);
        Assert.Equal(0x15406a0UL, keepalive.WalEnd);
        Assert.Equal(0x0002b0d5d4e94000L, keepalive.ServerClock);
        Assert.True(keepalive.ReplyRequested);
    }

    [Fact]
    public void TryRead_ReplyNotRequested_ReturnsFalseFlag()
    {
        var bytes = (byte[])s_keepalive.Clone();
        bytes[17] = 0;

        Assert.True(PrimaryKeepalive.TryRead(bytes, out var keepalive, out _));
        Assert.False(keepalive.ReplyRequested);
    }

    [Fact]
    public void TryRead_EveryStrictPrefix_ReturnsFalseConsumingNothing()
    {
        for (var cut = 0; cut < s_keepalive.Length; cut++)
        {
            Assert.False(PrimaryKeepalive.TryRead(s_keepalive.AsSpan(0, cut), out _, out var length));
            Assert.Equal(0, length);
        }
    }

    [Fact]
    public void TryRead_XLogDataPayload_ThrowsUnknownCopyDataKind()
    {
        var ex = Assert.Throws<ProtocolException>(() => PrimaryKeepalive.TryRead("w"u8, out _, out _));
        Assert.Equal(PgOutputError.UnknownCopyDataKind, ex.ReasonAs<PgOutputError>());
    }
}
