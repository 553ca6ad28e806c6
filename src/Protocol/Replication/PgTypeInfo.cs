namespace MadBase.Protocol.Replication;

/// <summary>
/// A decoded Type message. Sent before a Relation that uses a type with OID ≥ 10000 (enums, domains, composites,
/// extension types). For a domain, <see cref="Oid"/> is the domain's but the names are its base type's.
/// </summary>
internal sealed record PgTypeInfo(uint Oid, string Namespace, string Name);
