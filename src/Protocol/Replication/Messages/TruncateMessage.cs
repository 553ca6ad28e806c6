using System.Buffers.Binary;

namespace MadBase.Protocol.Replication;

/// <summary>
/// Truncate ('T'): one message for all published relations of one TRUNCATE statement.
/// <code>
/// Byte1('T') | [Int32 xid] | Int32 nrels | Int8 flags (1 = CASCADE, 2 = RESTART IDENTITY) | nrels × Int32 relid
/// </code>
/// The relation ids are not checked against the cache: they do not affect the layout, and pgoutput sends a Relation
/// for each before the Truncate, so the consumer looks them up itself.
/// </summary>
internal readonly ref struct TruncateMessage
{
    private readonly ReadOnlySpan<byte> _relationIds;

    public TruncateMessage(uint xid, TruncateOptions options, ReadOnlySpan<byte> relationIds)
    {
        Xid = xid;
        Options = options;
        _relationIds = relationIds;
    }

    /// <summary>The (sub)transaction xid inside a stream block; 0 outside.</summary>
    public uint Xid { get; }

    public TruncateOptions Options { get; }

    public int RelationCount => _relationIds.Length / 4;

    public uint GetRelationId(int index) => BinaryPrimitives.ReadUInt32BigEndian(_relationIds.Slice(index * 4, 4));

    internal static TruncateMessage Read(ref PgOutputReader reader, uint xid)
    {
        var count = reader.ReadInt32();
        if (count < 0)
        {
            PgOutputThrow.InvalidLength("Truncate relation count", count);
        }

        var options = (TruncateOptions)reader.ReadByte();

        // Checked before multiplying so a huge count cannot overflow into a small read.
        if (count > reader.Remaining / 4)
        {
            PgOutputThrow.Truncated((int)Math.Min(count * 4L, int.MaxValue), reader.Remaining);
        }

        return new TruncateMessage(xid, options, reader.ReadBytes(count * 4));
    }
}
