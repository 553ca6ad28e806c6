namespace MadBase.Protocol.Replication;

/// <summary>
/// PostgreSQL wire timestamps: Int64 microseconds since 2000-01-01 00:00:00 UTC. Codecs keep the raw value;
/// conversion is left to the caller so decoding never pays for it.
/// </summary>
internal static class PgTimestamp
{
    /// <summary>2000-01-01T00:00:00Z, the PostgreSQL epoch.</summary>
    public static readonly DateTime Epoch = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>Microseconds since the PostgreSQL epoch → UTC <see cref="DateTime"/> (1 µs = 10 ticks).</summary>
    public static DateTime ToDateTime(long microseconds) => Epoch.AddTicks(microseconds * 10);

    /// <summary>UTC <see cref="DateTime"/> → microseconds since the PostgreSQL epoch (sub-microsecond ticks truncated).</summary>
    public static long FromDateTime(DateTime utc) => (utc.ToUniversalTime().Ticks - Epoch.Ticks) / 10;
}
