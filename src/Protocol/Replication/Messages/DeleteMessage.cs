namespace MadBase.Protocol.Replication;

/// <summary>
/// Delete ('D').
/// <code>
/// Byte1('D') | [Int32 xid] | Int32 relid | Byte1('K' | 'O') | TupleData old
/// </code>
/// </summary>
internal readonly ref struct DeleteMessage
{
    public DeleteMessage(uint xid, RelationInfo relation, OldTupleKind oldTupleKind, TupleData oldTuple)
    {
        Xid = xid;
        Relation = relation;
        OldTupleKind = oldTupleKind;
        OldTuple = oldTuple;
    }

    /// <summary>The (sub)transaction xid inside a stream block; 0 outside.</summary>
    public uint Xid { get; }

    public RelationInfo Relation { get; }

    /// <summary><see cref="OldTupleKind.Key"/> or <see cref="OldTupleKind.Old"/>.</summary>
    public OldTupleKind OldTupleKind { get; }

    public TupleData OldTuple { get; }

    internal static DeleteMessage Read(ref PgOutputReader reader, uint xid, RelationCache cache, uint streamXid)
    {
        var relation = PgOutputDecoder.ResolveRelation(ref reader, cache, streamXid);
        var marker = reader.ReadByte();
        if (marker is not ((byte)OldTupleKind.Key or (byte)OldTupleKind.Old))
        {
            PgOutputThrow.UnexpectedTupleMarker(marker, PgOutputMessageKind.Delete, "'K' or 'O'");
        }

        return new DeleteMessage(xid, relation, (OldTupleKind)marker, TupleData.Read(ref reader, relation));
    }
}
