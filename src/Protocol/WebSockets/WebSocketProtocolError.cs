namespace MadBase.Protocol.WebSockets;

/// <summary>
/// Why a WebSocket peer violated RFC 6455. Carried by <see cref="ProtocolException"/>; the Edge sends the close code
/// from <see cref="WebSocketProtocolErrorExtensions.ToCloseStatus"/> and then drops the connection (§7.1.7 "Fail the
/// WebSocket Connection").
/// </summary>
internal enum WebSocketProtocolError
{
    /// <summary>RSV1–3 set although no extension was negotiated (§5.2).</summary>
    ReservedBitsSet,

    /// <summary>Opcode 0x3–0x7 or 0xB–0xF (§5.2).</summary>
    UnknownOpcode,

    /// <summary>Close/Ping/Pong with a payload over 125 bytes (§5.5).</summary>
    ControlFrameTooLong,

    /// <summary>Close/Ping/Pong without FIN (§5.5: control frames must not be fragmented).</summary>
    ControlFrameFragmented,

    /// <summary>64-bit payload length with the most significant bit set (§5.2).</summary>
    PayloadLengthOverflow,

    /// <summary>A length that fits a shorter encoding (§5.2: "the minimal number of bytes MUST be used").</summary>
    NonMinimalLength,

    /// <summary>A client-to-server frame without the MASK bit (§5.1).</summary>
    MissingMask,

    /// <summary>A server-to-client frame with the MASK bit (§5.1).</summary>
    UnexpectedMask,

    /// <summary>A frame or a reassembled message larger than the configured limit.</summary>
    MessageTooBig,

    /// <summary>A continuation frame with no fragmented message in progress (§5.4).</summary>
    UnexpectedContinuation,

    /// <summary>A new Text/Binary frame while a fragmented message is still open (§5.4).</summary>
    ExpectedContinuation,

    /// <summary>Text message or close reason that is not valid UTF-8 (§8.1).</summary>
    InvalidUtf8,

    /// <summary>A Close payload of exactly one byte (§5.5.1: a body starts with a 2-byte code).</summary>
    InvalidClosePayload,

    /// <summary>A close code that must not appear on the wire (§7.4).</summary>
    InvalidCloseStatus,
}
