namespace MadBase.Protocol.Replication;

/// <summary>
/// Commit ('C'): end of a non-streamed transaction.
/// <code>
/// Byte1('C') | Int8 flags (0) | Int64 commitLsn | Int64 endLsn | Int64 commitTimestamp          (26 bytes)
/// </code>
/// </summary>
/// <param name="Flags">Currently always 0; kept so an unexpected value can be logged.</param>
/// <param name="CommitLsn">Start of the commit record (= Begin.FinalLsn).</param>
/// <param name="EndLsn">End of the commit record: the LSN to acknowledge (flush) once the transaction is durable.</param>
/// <param name="CommitTimestamp">Microseconds since 2000-01-01 UTC.</param>
internal readonly record struct CommitMessage(byte Flags, ulong CommitLsn, ulong EndLsn, long CommitTimestamp)
{
    internal static CommitMessage Read(ref PgOutputReader reader) =>
        new(reader.ReadByte(), reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadInt64());
}
