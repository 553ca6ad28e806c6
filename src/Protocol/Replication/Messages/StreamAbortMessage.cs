namespace MadBase.Protocol.Replication;

/// <summary>
/// Stream Abort ('A', v2+): a streamed (sub)transaction aborted. Sent outside a block.
/// <code>
/// Byte1('A') | Int32 xid | Int32 subXid                                             (9 bytes)
/// Byte1('A') | Int32 xid | Int32 subXid | Int64 abortLsn | Int64 abortTimestamp       (25 bytes, streaming=parallel only)
/// </code>
/// The extra fields depend on streaming=parallel, not on proto_version 4 (pgoutput's write_abort_info), so the
/// decoder chooses the layout from the negotiated <see cref="PgOutputStreamingMode"/>. That also keeps the prefix
/// rule: the 9-byte prefix of a 25-byte message is reported as truncated, never decoded as the short form.
/// </summary>
/// <param name="Xid">Top-level xid.</param>
/// <param name="SubXid">Equal to <paramref name="Xid"/> for a top-level abort (drop everything); otherwise drop only that subtransaction.</param>
/// <param name="HasAbortInfo">True when <paramref name="AbortLsn"/> and <paramref name="AbortTimestamp"/> were sent.</param>
internal readonly record struct StreamAbortMessage(uint Xid, uint SubXid, bool HasAbortInfo, ulong AbortLsn, long AbortTimestamp)
{
    /// <summary>True when the whole streamed transaction aborted, not just a subtransaction.</summary>
    public bool IsTopLevelAbort => Xid == SubXid;

    internal static StreamAbortMessage Read(ref PgOutputReader reader, bool withAbortInfo)
    {
        var xid = reader.ReadUInt32();
        var subXid = reader.ReadUInt32();
        if (!withAbortInfo)
        {
            return new StreamAbortMessage(xid, subXid, false, 0, 0);
        }

        var lsn = reader.ReadUInt64();
        return new StreamAbortMessage(xid, subXid, true, lsn, reader.ReadInt64());
    }
}
