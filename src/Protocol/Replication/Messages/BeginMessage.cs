namespace MadBase.Protocol.Replication;

/// <summary>
/// Begin ('B'): start of a non-streamed transaction.
/// <code>
/// Byte1('B') | Int64 finalLsn | Int64 commitTimestamp | Int32 xid          (21 bytes)
/// </code>
/// </summary>
/// <param name="FinalLsn">LSN of the commit record (= Commit.CommitLsn). Not the resume LSN; that is Commit.EndLsn.</param>
/// <param name="CommitTimestamp">Microseconds since 2000-01-01 UTC.</param>
/// <param name="Xid">Top-level transaction id.</param>
internal readonly record struct BeginMessage(ulong FinalLsn, long CommitTimestamp, uint Xid)
{
    internal static BeginMessage Read(ref PgOutputReader reader) =>
        new(reader.ReadUInt64(), reader.ReadInt64(), reader.ReadUInt32());
}
