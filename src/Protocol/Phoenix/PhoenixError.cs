namespace MadBase.Protocol.Phoenix;

/// <summary>
/// Why a client frame is not a valid Phoenix message. Upstream logs and drops such frames and keeps the socket
/// (docs/protocol/realtime.md §Text frames); <see cref="PhoenixErrorExtensions.ToCloseStatus"/> gives the close code
/// for an Edge that closes instead (for example after repeated garbage).
/// </summary>
internal enum PhoenixError
{
    /// <summary>Not one well-formed JSON value (syntax, trailing bytes, nesting too deep, empty).</summary>
    InvalidJson,

    /// <summary>v1 frame not a JSON object, or v2 frame not a JSON array.</summary>
    InvalidShape,

    /// <summary>v2 array with fewer than 5 elements.</summary>
    WrongArity,

    /// <summary>join_ref is neither a string nor null.</summary>
    InvalidJoinRef,

    /// <summary>ref is neither a string nor null.</summary>
    InvalidRef,

    /// <summary>topic missing or not a string.</summary>
    InvalidTopic,

    /// <summary>event missing or not a string.</summary>
    InvalidEvent,

    /// <summary>v1 object without a payload member.</summary>
    MissingPayload,

    /// <summary>v1 object naming the same member twice (ambiguous: rejected rather than guessed).</summary>
    DuplicateMember,

    /// <summary>topic, event, join_ref or ref over 255 bytes as sent.</summary>
    FieldTooLong,

    /// <summary>Binary frame on a vsn 1.0.0 socket, which has no binary serializer.</summary>
    BinaryNotSupported,

    /// <summary>Binary frame whose first byte is not a kind the receiver accepts.</summary>
    UnknownBinaryKind,

    /// <summary>Binary frame shorter than its header or than the lengths it announces.</summary>
    TruncatedBinary,

    /// <summary>Binary frame encoding byte other than 0 (raw) or 1 (JSON).</summary>
    InvalidBinaryEncoding,
}
