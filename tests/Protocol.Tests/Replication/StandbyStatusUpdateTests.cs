using MadBase.Protocol.Replication;

namespace MadBase.Protocol.Tests.Replication;

public sealed class StandbyStatusUpdateTests
{
    [Fact]
    public void Write_AllFields_ProducesDocumentedLayout()
    {
        var buffer = new byte[40];
        var written = StandbyStatusUpdate.Write(
            buffer, write: 0x1546AD8, flush: 0x1546A08, apply: 0x15469D8, clientClock: 0x0002b0d5d4e94000, replyRequested: true);

        Assert.Equal(34, written);
        Assert.Equal(
            "72" +                 // 'r' standby status update
            "0000000001546ad8" +   // write 0/1546AD8
            "0000000001546a08" +   // flush 0/1546A08 (the only field that moves a logical slot)
            "00000000015469d8" +   // apply 0/15469D8
            "0002b0d5d4e94000" +   // clientClock 2024-01-01 00:00:00 UTC
            "01",                  // replyRequested
            Convert.ToHexStringLower(buffer.AsSpan(0, written)));
        Assert.All(buffer.AsSpan(written).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Write_NoReplyRequested_WritesZeroFlag()
    {
        var buffer = new byte[StandbyStatusUpdate.Length];
        StandbyStatusUpdate.Write(buffer, 1, 2, 3, 4, replyRequested: false);
        Assert.Equal(0, buffer[33]);
    }

    [Fact]
    public void Write_DestinationTooSmall_ThrowsArgumentOutOfRange()
    {
        var buffer = new byte[StandbyStatusUpdate.Length - 1];
        Assert.Throws<ArgumentOutOfRangeException>(() => StandbyStatusUpdate.Write(buffer, 1, 2, 3, 4, false));
    }
}
