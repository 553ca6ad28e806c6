namespace MadBase.Protocol.Replication;

/// <summary>
/// Insert ('I').
/// <code>
/// Byte1('I') | [Int32 xid] | Int32 relid | Byte1('N') | TupleData new
/// </code>
/// </summary>
internal readonly ref struct InsertMessage
{
    /// <summary>Marker before a new-row tuple in Insert and Update.</summary>
    internal const byte NewTupleMarker = (byte)'N';

    public InsertMessage(uint xid, RelationInfo relation, TupleData newTuple)
    {
        Xid = xid;
        Relation = relation;
        NewTuple = newTuple;
    }

    /// <summary>The (sub)transaction xid inside a stream block; 0 outside.</summary>
    public uint Xid { get; }

    public RelationInfo Relation { get; }

    public TupleData NewTuple { get; }

    internal static InsertMessage Read(ref PgOutputReader reader, uint xid, RelationCache cache, uint streamXid)
    {
        var relation = PgOutputDecoder.ResolveRelation(ref reader, cache, streamXid);
        var marker = reader.ReadByte();
        if (marker != NewTupleMarker)
        {
            PgOutputThrow.UnexpectedTupleMarker(marker, PgOutputMessageKind.Insert, "'N'");
        }

        return new InsertMessage(xid, relation, TupleData.Read(ref reader, relation));
    }
}
