namespace MadBase.Edge.Replication;

/// <summary>One column of a published table as the replication stream last described it (a Relation message).</summary>
/// <param name="Name">Column name.</param>
/// <param name="TypeName"><c>pg_type.typname</c> (<c>int8</c>, <c>text</c>, <c>_int4</c>, …) as Supabase's <c>columns</c> list shows it.</param>
/// <param name="TypeOid">The type's OID.</param>
/// <param name="IsKey">Part of the replica identity key (the primary key for REPLICA IDENTITY DEFAULT).</param>
internal sealed record ChangeColumn(string Name, string TypeName, uint TypeOid, bool IsKey);
