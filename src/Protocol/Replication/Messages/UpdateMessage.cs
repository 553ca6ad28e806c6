namespace MadBase.Protocol.Replication;

/// <summary>
/// Update ('U').
/// <code>
/// Byte1('U') | [Int32 xid] | Int32 relid | [ Byte1('K' | 'O') TupleData old ] | Byte1('N') | TupleData new
/// </code>
/// 'K' is sent when a key column changed (key values only); 'O' under REPLICA IDENTITY FULL (whole old row).
/// The new tuple may hold 'u' (unchanged TOAST) columns: take them from an 'O' tuple, never treat them as NULL.
/// </summary>
internal readonly ref struct UpdateMessage
{
    public UpdateMessage(uint xid, RelationInfo relation, OldTupleKind oldTupleKind, TupleData oldTuple, TupleData newTuple)
    {
        Xid = xid;
        Relation = relation;
        OldTupleKind = oldTupleKind;
        OldTuple = oldTuple;
        NewTuple = newTuple;
    }

    /// <summary>The (sub)transaction xid inside a stream block; 0 outside.</summary>
    public uint Xid { get; }

    public RelationInfo Relation { get; }

    public OldTupleKind OldTupleKind { get; }

    /// <summary>Empty (<c>Count == 0</c>) when <see cref="OldTupleKind"/> is <see cref="OldTupleKind.None"/>.</summary>
    public TupleData OldTuple { get; }

    public TupleData NewTuple { get; }

    internal static UpdateMessage Read(ref PgOutputReader reader, uint xid, RelationCache cache, uint streamXid)
    {
        var relation = PgOutputDecoder.ResolveRelation(ref reader, cache, streamXid);
        var marker = reader.ReadByte();
        var oldKind = OldTupleKind.None;
        TupleData oldTuple = default;
        if (marker is (byte)OldTupleKind.Key or (byte)OldTupleKind.Old)
        {
            oldKind = (OldTupleKind)marker;
            oldTuple = TupleData.Read(ref reader, relation);
            marker = reader.ReadByte();
        }

        if (marker != InsertMessage.NewTupleMarker)
        {
            PgOutputThrow.UnexpectedTupleMarker(
                marker, PgOutputMessageKind.Update, oldKind == OldTupleKind.None ? "'K', 'O' or 'N'" : "'N'");
        }

        return new UpdateMessage(xid, relation, oldKind, oldTuple, TupleData.Read(ref reader, relation));
    }
}
