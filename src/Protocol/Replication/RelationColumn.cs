namespace MadBase.Protocol.Replication;

/// <summary>One published column of a Relation message, in attnum order (dropped and generated columns excluded).</summary>
/// <param name="Flags">Int8 flags; bit 1 = part of the replica identity key.</param>
/// <param name="Name">Column name.</param>
/// <param name="TypeOid">Column type OID. For a domain this is the domain's OID; its Type message names the base type.</param>
/// <param name="TypeModifier">atttypmod, -1 when none (varchar(20) → 24, numeric(10,2) → 655366).</param>
internal readonly record struct RelationColumn(byte Flags, string Name, uint TypeOid, int TypeModifier)
{
    /// <summary>Flag bit for "part of the key" (LOGICALREP_IS_REPLICA_IDENTITY = 1).</summary>
    public const byte KeyFlag = 1;

    /// <summary>True if the column belongs to the replica identity; decides whether 'n' in a 'K' tuple means "not key".</summary>
    public bool IsKey => (Flags & KeyFlag) != 0;
}
