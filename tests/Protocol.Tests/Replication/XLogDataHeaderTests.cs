using MadBase.Protocol.Replication;

namespace MadBase.Protocol.Tests.Replication;

public sealed class XLogDataHeaderTests
{
    // XLogData carrying the captured Begin of the origin transaction in v1-text.hex.
    private static readonly byte[] s_xlogData = Convert.FromHexString(
        "77" +                 // 'w' XLogData
        "0000000001546a08" +   // walStart 0/1546A08
        "0000000001546a08" +   // walEnd   0/1546A08 (logical: equal to walStart)
        "0002b0d5d4e94000" +   // serverClock 2024-01-01 00:00:00 UTC in µs since 2000-01-01
        "420000000001546a900002b0d5d4e94000000002ec"); // pgoutput Begin (21 bytes)

    [Fact]
    public void TryRead_ValidXLogData_ReturnsHeaderAndPayloadOffset()
    {
        Assert.True(XLogDataHeader.TryRead(s_xlogData, out var header, out var length));

        Assert.Equal(XLogDataHeader.Length, length);
        Assert.Equal(25, length);
        Assert.Equal(0x1546a08UL, header.WalStart);
        Assert.Equal(0x1546a08UL, header.WalEnd);
        Assert.Equal(new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc), PgTimestamp.ToDateTime(header.ServerClock));
        Assert.Equal((byte)'B', s_xlogData[length]);
        Assert.Equal(21, s_xlogData.Length - length);
    }

    [Fact]
    public void TryRead_HeaderOnly_ReturnsTrueWithEmptyPayload()
    {
        Assert.True(XLogDataHeader.TryRead(s_xlogData.AsSpan(0, 25), out _, out var length));
        Assert.Equal(25, length);
    }

    [Fact]
    public void TryRead_EveryStrictPrefixOfHeader_ReturnsFalseConsumingNothing()
    {
        for (var cut = 0; cut < XLogDataHeader.Length; cut++)
        {
            Assert.False(XLogDataHeader.TryRead(s_xlogData.AsSpan(0, cut), out var header, out var length));
            Assert.Equal(0, length);
            Assert.Equal(default, header);
        }
    }

    [Fact]
    public void TryRead_KeepalivePayload_ThrowsUnknownCopyDataKind()
    {
        var keepalive = Convert.FromHexString("6b00000000015406a00002b0d5d4e9400000");
        var ex = Assert.Throws<ProtocolException>(() => XLogDataHeader.TryRead(keepalive, out _, out _));
        Assert.Equal(PgOutputError.UnknownCopyDataKind, ex.ReasonAs<PgOutputError>());
    }

    [Fact]
    public void TryRead_UnknownFirstByteInOneBytePrefix_ThrowsUnknownCopyDataKind()
    {
        // The kind byte alone already decides: a wrong kind is malformed even before the rest arrives.
        var ex = Assert.Throws<ProtocolException>(() => XLogDataHeader.TryRead([(byte)'x'], out _, out _));
        Assert.Equal(PgOutputError.UnknownCopyDataKind, ex.ReasonAs<PgOutputError>());
    }
}
