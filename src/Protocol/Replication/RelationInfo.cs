using System.Collections.Immutable;

namespace MadBase.Protocol.Replication;

/// <summary>
/// A decoded Relation message: the schema that later tuples for <see cref="Id"/> are read against. Immutable; a new
/// Relation message replaces the cached instance instead of mutating it, so a consumer may keep a reference.
/// </summary>
/// <param name="Id">Relation OID (after publish_via_partition_root, the root's OID).</param>
/// <param name="Namespace">Schema name; the empty string stands for pg_catalog.</param>
/// <param name="Name">Relation name.</param>
/// <param name="ReplicaIdentity">Replica identity setting; unknown future bytes are kept as-is because they do not change the layout.</param>
/// <param name="Columns">Published columns in wire order.</param>
internal sealed record RelationInfo(
    uint Id,
    string Namespace,
    string Name,
    ReplicaIdentity ReplicaIdentity,
    ImmutableArray<RelationColumn> Columns);
