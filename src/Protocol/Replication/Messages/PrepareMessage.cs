namespace MadBase.Protocol.Replication;

/// <summary>
/// Prepare ('P', v3+) and Stream Prepare ('p', v3+): same layout. Keep the transaction's changes keyed by
/// <see cref="Gid"/> until Commit Prepared or Rollback Prepared.
/// <code>
/// Byte1('P' | 'p') | Int8 flags (0) | Int64 prepareLsn | Int64 endLsn | Int64 prepareTimestamp | Int32 xid | String gid
/// </code>
/// </summary>
internal readonly ref struct PrepareMessage
{
    public PrepareMessage(byte flags, ulong prepareLsn, ulong endLsn, long prepareTimestamp, uint xid, ReadOnlySpan<byte> gid)
    {
        Flags = flags;
        PrepareLsn = prepareLsn;
        EndLsn = endLsn;
        PrepareTimestamp = prepareTimestamp;
        Xid = xid;
        Gid = gid;
    }

    public byte Flags { get; }

    public ulong PrepareLsn { get; }

    public ulong EndLsn { get; }

    public long PrepareTimestamp { get; }

    public uint Xid { get; }

    /// <summary>Global transaction id bytes (no terminator).</summary>
    public ReadOnlySpan<byte> Gid { get; }

    internal static PrepareMessage Read(ref PgOutputReader reader)
    {
        var flags = reader.ReadByte();
        var prepareLsn = reader.ReadUInt64();
        var endLsn = reader.ReadUInt64();
        var timestamp = reader.ReadInt64();
        var xid = reader.ReadUInt32();
        return new PrepareMessage(flags, prepareLsn, endLsn, timestamp, xid, reader.ReadCString());
    }
}
