namespace MadBase.Protocol.Replication;

/// <summary>pg_class.relreplident as sent in a Relation message. Values are the wire bytes.</summary>
internal enum ReplicaIdentity : byte
{
    /// <summary>Primary key columns (old key sent as a 'K' tuple).</summary>
    Default = (byte)'d',

    /// <summary>No old values; UPDATE/DELETE fail on a published table.</summary>
    Nothing = (byte)'n',

    /// <summary>All old values, sent as an 'O' tuple.</summary>
    Full = (byte)'f',

    /// <summary>The columns of a chosen unique index ('K' tuple).</summary>
    Index = (byte)'i',
}
