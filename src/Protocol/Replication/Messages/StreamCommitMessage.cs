namespace MadBase.Protocol.Replication;

/// <summary>
/// Stream Commit ('c', v2+): the streamed transaction committed; apply its buffered changes. Sent outside a block.
/// <code>
/// Byte1('c') | Int32 xid | Int8 flags (0) | Int64 commitLsn | Int64 endLsn | Int64 commitTimestamp          (30 bytes)
/// </code>
/// </summary>
/// <param name="EndLsn">The LSN to acknowledge once the transaction is durable.</param>
internal readonly record struct StreamCommitMessage(uint Xid, byte Flags, ulong CommitLsn, ulong EndLsn, long CommitTimestamp)
{
    internal static StreamCommitMessage Read(ref PgOutputReader reader) =>
        new(reader.ReadUInt32(), reader.ReadByte(), reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadInt64());
}
