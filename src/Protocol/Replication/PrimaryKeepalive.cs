using System.Buffers.Binary;

namespace MadBase.Protocol.Replication;

/// <summary>
/// Primary keepalive ('k') CopyData payload.
/// <code>
/// Byte1('k') | Int64 walEnd | Int64 serverClock (µs since 2000-01-01 UTC) | Byte1 replyRequested (1 = reply now)
/// </code>
/// walEnd is how far the walsender has read the (cluster-wide) WAL. With nothing pending on the client side it is
/// the LSN to acknowledge for the idle advance; with replyRequested the server disconnects unless a status update
/// follows within wal_sender_timeout.
/// </summary>
/// <remarks>https://www.postgresql.org/docs/current/protocol-replication.html#PROTOCOL-REPLICATION-PRIMARY-KEEPALIVE-MESSAGE</remarks>
internal readonly record struct PrimaryKeepalive(ulong WalEnd, long ServerClock, bool ReplyRequested)
{
    /// <summary>1 kind + 8 walEnd + 8 serverClock + 1 replyRequested.</summary>
    public const int Length = 1 + 8 + 8 + 1;

    /// <summary>
    /// Reads a keepalive from the start of a CopyData payload. Returns false (nothing consumed) if fewer than
    /// <see cref="Length"/> bytes are available; throws <see cref="PgOutputError.UnknownCopyDataKind"/> if the
    /// payload is not a keepalive.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> input, out PrimaryKeepalive keepalive, out int length)
    {
        if (input.Length > 0 && input[0] != (byte)ReplicationMessageKind.PrimaryKeepalive)
        {
            PgOutputThrow.UnknownCopyDataKind(input[0], ReplicationMessageKind.PrimaryKeepalive);
        }

        if (input.Length < Length)
        {
            keepalive = default;
            length = 0;
            return false;
        }

        // walsender.c writes the flag as 0 or 1; any non-zero value is treated as a request, the safe reading.
        keepalive = new PrimaryKeepalive(
            BinaryPrimitives.ReadUInt64BigEndian(input[1..]),
            BinaryPrimitives.ReadInt64BigEndian(input[9..]),
            input[17] != 0);
        length = Length;
        return true;
    }
}
