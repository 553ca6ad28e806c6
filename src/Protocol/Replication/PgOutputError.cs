namespace MadBase.Protocol.Replication;

/// <summary>
/// Why a replication CopyData payload or a pgoutput message was rejected. Carried by <see cref="ProtocolException"/>.
/// Every reason has the same wire effect in the Edge: drop the replication connection and restart from the last
/// confirmed LSN; the reason only decides what gets logged.
/// </summary>
internal enum PgOutputError
{
    /// <summary>The payload ends before the message does. A payload is always one complete message, so a cut is malformed.</summary>
    Truncated = 1,

    /// <summary>Bytes remain after the last field of the message.</summary>
    TrailingBytes,

    /// <summary>The first byte of a pgoutput message is not a known message kind.</summary>
    UnknownMessageKind,

    /// <summary>The message kind needs a newer protocol version (or streaming) than was negotiated.</summary>
    UnsupportedProtocolVersionFeature,

    /// <summary>The message is valid on its own but not in the current stream state (e.g. Stream Stop outside a block).</summary>
    UnexpectedMessage,

    /// <summary>Insert/Update/Delete names a relation id with no preceding Relation message on this connection.</summary>
    UnknownRelation,

    /// <summary>A tuple's column count differs from the cached Relation's column count.</summary>
    ColumnCountMismatch,

    /// <summary>A tuple column kind is not 'n', 'u', 't' or 'b'.</summary>
    UnknownTupleKind,

    /// <summary>The byte before a tuple is not the 'N', 'K' or 'O' that the message kind allows there.</summary>
    UnexpectedTupleMarker,

    /// <summary>A count or length field is negative.</summary>
    InvalidLength,

    /// <summary>An identifier string (relation, column, type or origin name, gid, message prefix) is not valid UTF-8.</summary>
    InvalidString,
}
