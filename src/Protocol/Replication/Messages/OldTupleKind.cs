namespace MadBase.Protocol.Replication;

/// <summary>Which old-row image an Update or Delete carries. Values are the wire markers.</summary>
internal enum OldTupleKind : byte
{
    /// <summary>No old tuple (an Update that did not change the key, under a non-FULL identity).</summary>
    None = 0,

    /// <summary>'K': replica identity key columns only; every non-key column is 'n' meaning "not sent", not NULL.</summary>
    Key = (byte)'K',

    /// <summary>'O': the whole old row (REPLICA IDENTITY FULL), with TOASTed values detoasted.</summary>
    Old = (byte)'O',
}
