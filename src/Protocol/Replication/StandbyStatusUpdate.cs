using System.Buffers.Binary;

namespace MadBase.Protocol.Replication;

/// <summary>
/// Standby status update ('r') CopyData payload, client → server.
/// <code>
/// Byte1('r') | Int64 write | Int64 flush | Int64 apply | Int64 clientClock (µs since 2000-01-01 UTC) | Byte1 replyRequested
/// </code>
/// For a logical slot only <c>flush</c> moves confirmed_flush_lsn, and 0 means "unchanged". Report the last durably
/// processed Commit.EndLsn (or the keepalive walEnd when nothing is pending) there.
/// </summary>
/// <remarks>https://www.postgresql.org/docs/current/protocol-replication.html#PROTOCOL-REPLICATION-STANDBY-STATUS-UPDATE</remarks>
internal static class StandbyStatusUpdate
{
    /// <summary>1 kind + 8 write + 8 flush + 8 apply + 8 clientClock + 1 replyRequested = 34.</summary>
    public const int Length = 1 + 8 + 8 + 8 + 8 + 1;

    /// <summary>
    /// Writes the 34-byte payload (without the CopyData 'd' + Int32 length framing) and returns its length.
    /// The clock is a parameter so the codec never reads the time itself.
    /// </summary>
    public static int Write(Span<byte> destination, ulong write, ulong flush, ulong apply, long clientClock, bool replyRequested)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, Length, nameof(destination));
        destination[0] = (byte)ReplicationMessageKind.StandbyStatusUpdate;
        BinaryPrimitives.WriteUInt64BigEndian(destination[1..], write);
        BinaryPrimitives.WriteUInt64BigEndian(destination[9..], flush);
        BinaryPrimitives.WriteUInt64BigEndian(destination[17..], apply);
        BinaryPrimitives.WriteInt64BigEndian(destination[25..], clientClock);
        destination[33] = replyRequested ? (byte)1 : (byte)0;
        return Length;
    }
}
