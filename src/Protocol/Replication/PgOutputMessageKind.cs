namespace MadBase.Protocol.Replication;

/// <summary>
/// First byte of a pgoutput message (the XLogData payload after its 25-byte header). Values are the wire bytes.
/// </summary>
/// <remarks>https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html</remarks>
internal enum PgOutputMessageKind : byte
{
    Begin = (byte)'B',
    Commit = (byte)'C',
    Origin = (byte)'O',
    Relation = (byte)'R',
    Type = (byte)'Y',
    Insert = (byte)'I',
    Update = (byte)'U',
    Delete = (byte)'D',
    Truncate = (byte)'T',

    /// <summary>pg_logical_emit_message output; only sent with the <c>messages</c> option.</summary>
    Message = (byte)'M',

    /// <summary>Protocol v2+ (streaming of in-progress transactions).</summary>
    StreamStart = (byte)'S',

    /// <summary>Protocol v2+.</summary>
    StreamStop = (byte)'E',

    /// <summary>Protocol v2+.</summary>
    StreamCommit = (byte)'c',

    /// <summary>Protocol v2+, but parsed in every version: PG18 has been seen sending it to v1 clients.</summary>
    StreamAbort = (byte)'A',

    /// <summary>Protocol v3+ (two-phase).</summary>
    BeginPrepare = (byte)'b',

    /// <summary>Protocol v3+.</summary>
    Prepare = (byte)'P',

    /// <summary>Protocol v3+.</summary>
    CommitPrepared = (byte)'K',

    /// <summary>Protocol v3+.</summary>
    RollbackPrepared = (byte)'r',

    /// <summary>Protocol v3+: ends a streamed transaction that was prepared (same layout as Prepare).</summary>
    StreamPrepare = (byte)'p',
}
