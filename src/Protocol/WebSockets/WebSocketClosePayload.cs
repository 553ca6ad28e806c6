using System.Buffers.Binary;
using System.Text.Unicode;

namespace MadBase.Protocol.WebSockets;

//  RFC 6455 §5.5.1 Close frame body (optional):
//
//  +--------+--------+--------------------------------------+
//  |  status code    |  reason: UTF-8, 0..123 bytes          |
//  |  (u16, big end) |  (125 max control payload - 2)        |
//  +--------+--------+--------------------------------------+

/// <summary>Encodes and validates the body of a Close frame.</summary>
internal static class WebSocketClosePayload
{
    /// <summary>125-byte control payload limit minus the 2-byte status code.</summary>
    public const int MaxReasonLength = WebSocketFrameDecoder.MaxControlPayloadLength - 2;

    /// <summary>Largest body <see cref="Write"/> produces.</summary>
    public const int MaxLength = WebSocketFrameDecoder.MaxControlPayloadLength;

    /// <summary>
    /// Validates a received Close body (already unmasked).
    /// </summary>
    /// <returns>
    /// True with the peer's code and UTF-8 reason; false for an empty body, which is legal and means "no status"
    /// (<paramref name="code"/> is then <see cref="WebSocketCloseStatus.NoStatusReceived"/>). Throws
    /// <see cref="WebSocketProtocolError.InvalidClosePayload"/> for a 1-byte body,
    /// <see cref="WebSocketProtocolError.InvalidCloseStatus"/> for a code that may not be sent, and
    /// <see cref="WebSocketProtocolError.InvalidUtf8"/> for a reason that is not UTF-8.
    /// </returns>
    public static bool TryParse(ReadOnlySpan<byte> payload, out ushort code, out ReadOnlySpan<byte> reason)
    {
        reason = default;
        if (payload.IsEmpty)
        {
            code = WebSocketCloseStatus.NoStatusReceived;
            return false;
        }

        if (payload.Length == 1)
        {
            ProtocolException.Throw(WebSocketProtocolError.InvalidClosePayload, "Close body of 1 byte has no room for a status code.");
        }

        code = BinaryPrimitives.ReadUInt16BigEndian(payload);
        if (!WebSocketCloseStatus.IsValidOnWire(code))
        {
            ProtocolException.Throw(WebSocketProtocolError.InvalidCloseStatus, "Close status code is not allowed on the wire.");
        }

        reason = payload.Slice(2);
        if (!Utf8.IsValid(reason))
        {
            ProtocolException.Throw(WebSocketProtocolError.InvalidUtf8, "Close reason is not valid UTF-8.");
        }

        return true;
    }

    /// <summary>
    /// Writes code + reason into <paramref name="destination"/>, which must have room for <see cref="MaxLength"/> bytes. A reason over 123 UTF-8 bytes is cut at the last whole code point that fits; unpaired
    /// surrogates become U+FFFD.
    /// </summary>
    /// <returns>Bytes written: 2 + reason bytes.</returns>
    public static int Write(Span<byte> destination, ushort code, ReadOnlySpan<char> reason)
    {
        if (!WebSocketCloseStatus.IsValidOnWire(code))
        {
            throw new ArgumentOutOfRangeException(nameof(code), code, "Close status code is not allowed on the wire.");
        }

        if (destination.Length < MaxLength)
        {
            throw new ArgumentException("Destination must hold a maximal close payload (125 bytes).", nameof(destination));
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, code);

        // FromUtf16 only ever writes whole scalars, so DestinationTooSmall leaves the cut on a UTF-8 boundary.
        _ = Utf8.FromUtf16(reason, destination.Slice(2, MaxReasonLength), out _, out int written, replaceInvalidSequences: true);
        return 2 + written;
    }

    /// <summary>Length <see cref="Write"/> will produce for these arguments.</summary>
    public static int GetLength(ReadOnlySpan<char> reason)
    {
        Span<byte> scratch = stackalloc byte[MaxLength];
        return Write(scratch, WebSocketCloseStatus.NormalClosure, reason);
    }
}
