namespace MadBase.Protocol.Replication;

/// <summary>
/// Begin Prepare ('b', v3+, two_phase): start of a transaction that will be decoded at PREPARE TRANSACTION time.
/// <code>
/// Byte1('b') | Int64 prepareLsn | Int64 endLsn | Int64 prepareTimestamp | Int32 xid | String gid
/// </code>
/// </summary>
internal readonly ref struct BeginPrepareMessage
{
    public BeginPrepareMessage(ulong prepareLsn, ulong endLsn, long prepareTimestamp, uint xid, ReadOnlySpan<byte> gid)
    {
        PrepareLsn = prepareLsn;
        EndLsn = endLsn;
        PrepareTimestamp = prepareTimestamp;
        Xid = xid;
        Gid = gid;
    }

    public ulong PrepareLsn { get; }

    public ulong EndLsn { get; }

    public long PrepareTimestamp { get; }

    public uint Xid { get; }

    /// <summary>Global transaction id bytes (no terminator).</summary>
    public ReadOnlySpan<byte> Gid { get; }

    internal static BeginPrepareMessage Read(ref PgOutputReader reader)
    {
        var prepareLsn = reader.ReadUInt64();
        var endLsn = reader.ReadUInt64();
        var timestamp = reader.ReadInt64();
        var xid = reader.ReadUInt32();
        return new BeginPrepareMessage(prepareLsn, endLsn, timestamp, xid, reader.ReadCString());
    }
}
