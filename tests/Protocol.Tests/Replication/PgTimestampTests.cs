using MadBase.Protocol.Replication;

namespace MadBase.Protocol.Tests.Replication;

public sealed class PgTimestampTests
{
    [Fact]
    public void ToDateTime_CapturedOriginTimestamp_Returns2024NewYear()
    {
        // pg_replication_origin_xact_setup('0/DEADBEEF', '2024-01-01 00:00:00+00') in the capture script.
        Assert.Equal(new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc), PgTimestamp.ToDateTime(0x0002b0d5d4e94000));
    }

    [Fact]
    public void FromDateTime_RoundTrip_PreservesMicroseconds()
    {
        var value = new DateTime(2024, 2, 29, 8, 15, 1, DateTimeKind.Utc).AddTicks(5_000_010);
        Assert.Equal(value, PgTimestamp.ToDateTime(PgTimestamp.FromDateTime(value)));
        Assert.Equal(0, PgTimestamp.FromDateTime(PgTimestamp.Epoch));
    }
}
