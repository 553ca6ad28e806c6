namespace MadBase.Protocol.Replication;

/// <summary>
/// Origin ('O'): follows Begin when the transaction was replayed under a replication origin (e.g. written by a subscriber).
/// <code>
/// Byte1('O') | Int64 originCommitLsn | String name (NUL-terminated)
/// </code>
/// </summary>
internal readonly ref struct OriginMessage
{
    public OriginMessage(ulong commitLsn, ReadOnlySpan<byte> name)
    {
        CommitLsn = commitLsn;
        Name = name;
    }

    /// <summary>Commit LSN of the transaction on the origin server.</summary>
    public ulong CommitLsn { get; }

    /// <summary>Origin name bytes (UTF-8, no terminator); valid only during the callback.</summary>
    public ReadOnlySpan<byte> Name { get; }

    internal static OriginMessage Read(ref PgOutputReader reader)
    {
        var lsn = reader.ReadUInt64();
        return new OriginMessage(lsn, reader.ReadCString());
    }
}
