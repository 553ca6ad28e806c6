namespace MadBase.Protocol.Replication;

/// <summary>
/// Message ('M'): output of pg_logical_emit_message, sent only with the <c>messages</c> option.
/// <code>
/// Byte1('M') | [Int32 xid] | Int8 flags (1 = transactional) | Int64 lsn | String prefix | Int32 length | Byte[length] content
/// </code>
/// A non-transactional message arrives immediately, outside any Begin/Commit, and may precede the Begin of a
/// transaction that contains it in WAL order.
/// </summary>
internal readonly ref struct LogicalDecodingMessage
{
    /// <summary>Flag bit set when the message was emitted with transactional = true.</summary>
    public const byte TransactionalFlag = 1;

    public LogicalDecodingMessage(uint xid, byte flags, ulong lsn, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> content)
    {
        Xid = xid;
        Flags = flags;
        Lsn = lsn;
        Prefix = prefix;
        Content = content;
    }

    /// <summary>The (sub)transaction xid inside a stream block; 0 outside.</summary>
    public uint Xid { get; }

    public byte Flags { get; }

    public bool IsTransactional => (Flags & TransactionalFlag) != 0;

    /// <summary>LSN of the logical message record.</summary>
    public ulong Lsn { get; }

    /// <summary>Prefix bytes (no terminator).</summary>
    public ReadOnlySpan<byte> Prefix { get; }

    /// <summary>Content bytes, not converted from the server encoding.</summary>
    public ReadOnlySpan<byte> Content { get; }

    internal static LogicalDecodingMessage Read(ref PgOutputReader reader, uint xid)
    {
        var flags = reader.ReadByte();
        var lsn = reader.ReadUInt64();
        var prefix = reader.ReadCString();
        var length = reader.ReadInt32();
        if (length < 0)
        {
            PgOutputThrow.InvalidLength("Message content length", length);
        }

        return new LogicalDecodingMessage(xid, flags, lsn, prefix, reader.ReadBytes(length));
    }
}
