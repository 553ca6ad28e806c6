namespace MadBase.Protocol.Replication;

/// <summary>
/// Commit Prepared ('K', v3+): COMMIT PREPARED of a transaction sent earlier at PREPARE time.
/// <code>
/// Byte1('K') | Int8 flags (0) | Int64 commitLsn | Int64 endLsn | Int64 commitTimestamp | Int32 xid | String gid
/// </code>
/// </summary>
internal readonly ref struct CommitPreparedMessage
{
    public CommitPreparedMessage(byte flags, ulong commitLsn, ulong endLsn, long commitTimestamp, uint xid, ReadOnlySpan<byte> gid)
    {
        Flags = flags;
        CommitLsn = commitLsn;
        EndLsn = endLsn;
        CommitTimestamp = commitTimestamp;
        Xid = xid;
        Gid = gid;
    }

    public byte Flags { get; }

    public ulong CommitLsn { get; }

    /// <summary>The LSN to acknowledge once the commit is durable.</summary>
    public ulong EndLsn { get; }

    public long CommitTimestamp { get; }

    public uint Xid { get; }

    public ReadOnlySpan<byte> Gid { get; }

    internal static CommitPreparedMessage Read(ref PgOutputReader reader)
    {
        var flags = reader.ReadByte();
        var commitLsn = reader.ReadUInt64();
        var endLsn = reader.ReadUInt64();
        var timestamp = reader.ReadInt64();
        var xid = reader.ReadUInt32();
        return new CommitPreparedMessage(flags, commitLsn, endLsn, timestamp, xid, reader.ReadCString());
    }
}
