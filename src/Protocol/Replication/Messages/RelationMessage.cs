using System.Collections.Immutable;

namespace MadBase.Protocol.Replication;

/// <summary>
/// Relation ('R'): the schema for following changes of one relation. Replaces any cached schema.
/// <code>
/// Byte1('R') | [Int32 xid] | Int32 relid | String namespace | String relname | Int8 replident | Int16 ncols
///   ncols × ( Int8 flags (1 = key) | String name | Int32 typeOid | Int32 typmod )
/// </code>
/// [xid] is present only inside a stream block.
/// </summary>
/// <param name="Xid">The (sub)transaction xid inside a stream block; 0 (InvalidTransactionId) outside.</param>
/// <param name="Relation">The decoded schema, already stored in the <see cref="RelationCache"/>.</param>
internal readonly record struct RelationMessage(uint Xid, RelationInfo Relation)
{
    private const int MinColumnLength = 1 + 1 + 4 + 4;

    /// <summary>Reads the body after [xid]. Allocates the schema: Relation messages are rare and cached.</summary>
    internal static RelationInfo ReadRelation(ref PgOutputReader reader)
    {
        var id = reader.ReadUInt32();
        var ns = reader.ReadIdentifier("relation namespace");
        var name = reader.ReadIdentifier("relation name");
        var replicaIdentity = (ReplicaIdentity)reader.ReadByte();
        int count = reader.ReadInt16();
        if (count < 0)
        {
            PgOutputThrow.InvalidLength("Relation column count", count);
        }

        // Each column takes at least flags:1 + name "\0":1 + typeOid:4 + typmod:4 bytes. Checked before the builder is
        // sized from the count, so a short message cannot make it allocate for 32,767 columns (found by fuzzing).
        if (count > reader.Remaining / MinColumnLength)
        {
            PgOutputThrow.Truncated(count * MinColumnLength, reader.Remaining);
        }

        var columns = ImmutableArray.CreateBuilder<RelationColumn>(count);
        for (var i = 0; i < count; i++)
        {
            var flags = reader.ReadByte();
            var columnName = reader.ReadIdentifier("column name");
            var typeOid = reader.ReadUInt32();
            var typeModifier = reader.ReadInt32();
            columns.Add(new RelationColumn(flags, columnName, typeOid, typeModifier));
        }

        return new RelationInfo(id, ns, name, replicaIdentity, columns.MoveToImmutable());
    }
}
