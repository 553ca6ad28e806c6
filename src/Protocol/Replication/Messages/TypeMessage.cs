namespace MadBase.Protocol.Replication;

/// <summary>
/// Type ('Y'): names a user type (OID ≥ 10000) used by a following Relation.
/// <code>
/// Byte1('Y') | [Int32 xid] | Int32 typeOid | String namespace | String typeName
/// </code>
/// </summary>
/// <param name="Xid">The (sub)transaction xid inside a stream block; 0 outside.</param>
/// <param name="Type">The decoded type, already stored in the <see cref="RelationCache"/>.</param>
internal readonly record struct TypeMessage(uint Xid, PgTypeInfo Type)
{
    internal static PgTypeInfo ReadType(ref PgOutputReader reader)
    {
        var oid = reader.ReadUInt32();
        var ns = reader.ReadIdentifier("type namespace");
        return new PgTypeInfo(oid, ns, reader.ReadIdentifier("type name"));
    }
}
