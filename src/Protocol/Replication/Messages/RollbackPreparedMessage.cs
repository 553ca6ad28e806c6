namespace MadBase.Protocol.Replication;

/// <summary>
/// Rollback Prepared ('r', v3+): ROLLBACK PREPARED of a transaction sent earlier at PREPARE time.
/// <code>
/// Byte1('r') | Int8 flags (0) | Int64 prepareEndLsn | Int64 rollbackEndLsn | Int64 prepareTimestamp
///            | Int64 rollbackTimestamp | Int32 xid | String gid
/// </code>
/// </summary>
internal readonly ref struct RollbackPreparedMessage
{
    public RollbackPreparedMessage(
        byte flags, ulong prepareEndLsn, ulong rollbackEndLsn, long prepareTimestamp, long rollbackTimestamp, uint xid, ReadOnlySpan<byte> gid)
    {
        Flags = flags;
        PrepareEndLsn = prepareEndLsn;
        RollbackEndLsn = rollbackEndLsn;
        PrepareTimestamp = prepareTimestamp;
        RollbackTimestamp = rollbackTimestamp;
        Xid = xid;
        Gid = gid;
    }

    public byte Flags { get; }

    public ulong PrepareEndLsn { get; }

    /// <summary>The LSN to acknowledge once the rollback has been processed.</summary>
    public ulong RollbackEndLsn { get; }

    public long PrepareTimestamp { get; }

    public long RollbackTimestamp { get; }

    public uint Xid { get; }

    public ReadOnlySpan<byte> Gid { get; }

    internal static RollbackPreparedMessage Read(ref PgOutputReader reader)
    {
        var flags = reader.ReadByte();
        var prepareEndLsn = reader.ReadUInt64();
        var rollbackEndLsn = reader.ReadUInt64();
        var prepareTimestamp = reader.ReadInt64();
        var rollbackTimestamp = reader.ReadInt64();
        var xid = reader.ReadUInt32();
        return new RollbackPreparedMessage(flags, prepareEndLsn, rollbackEndLsn, prepareTimestamp, rollbackTimestamp, xid, reader.ReadCString());
    }
}
