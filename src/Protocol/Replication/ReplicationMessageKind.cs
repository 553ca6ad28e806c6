namespace MadBase.Protocol.Replication;

/// <summary>
/// First byte of a CopyData payload exchanged after START_REPLICATION. Values are the wire bytes.
/// </summary>
/// <remarks>https://www.postgresql.org/docs/current/protocol-replication.html</remarks>
internal enum ReplicationMessageKind : byte
{
    /// <summary>Server → client: WAL data; for a logical slot, exactly one output-plugin message.</summary>
    XLogData = (byte)'w',

    /// <summary>Server → client: keepalive carrying the sender's WAL position.</summary>
    PrimaryKeepalive = (byte)'k',

    /// <summary>Client → server: write/flush/apply feedback. Only flush moves a logical slot.</summary>
    StandbyStatusUpdate = (byte)'r',
}
