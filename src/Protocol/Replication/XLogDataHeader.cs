using System.Buffers.Binary;

namespace MadBase.Protocol.Replication;

/// <summary>
/// Header of an XLogData ('w') CopyData payload. The pgoutput message follows it and runs to the end of the
/// CopyData payload.
/// <code>
/// Byte1('w') | Int64 walStart | Int64 walEnd | Int64 serverClock (µs since 2000-01-01 UTC) | Byte[n] pgoutput message
/// </code>
/// For a logical slot walStart == walEnd == the LSN of the change the message describes; it is 0/0 for Relation,
/// Type, and a Begin followed by Origin, and it is not monotonic. Never acknowledge it blindly: ack Commit.EndLsn.
/// </summary>
/// <remarks>https://www.postgresql.org/docs/current/protocol-replication.html#PROTOCOL-REPLICATION-XLOGDATA</remarks>
internal readonly record struct XLogDataHeader(ulong WalStart, ulong WalEnd, long ServerClock)
{
    /// <summary>1 kind + 8 walStart + 8 walEnd + 8 serverClock.</summary>
    public const int Length = 1 + 8 + 8 + 8;

    /// <summary>
    /// Reads the header from the start of a CopyData payload. Returns false (nothing consumed) if fewer than
    /// <see cref="Length"/> bytes are available; throws <see cref="PgOutputError.UnknownCopyDataKind"/> if the
    /// payload is not XLogData. On success the pgoutput message is <c>input[headerLength..]</c>.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> input, out XLogDataHeader header, out int headerLength)
    {
        if (input.Length > 0 && input[0] != (byte)ReplicationMessageKind.XLogData)
        {
            PgOutputThrow.UnknownCopyDataKind(input[0], ReplicationMessageKind.XLogData);
        }

        if (input.Length < Length)
        {
            header = default;
            headerLength = 0;
            return false;
        }

        header = new XLogDataHeader(
            BinaryPrimitives.ReadUInt64BigEndian(input[1..]),
            BinaryPrimitives.ReadUInt64BigEndian(input[9..]),
            BinaryPrimitives.ReadInt64BigEndian(input[17..]));
        headerLength = Length;
        return true;
    }
}
