using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace MadBase.Protocol.WebSockets;

//  RFC 6455 §5.2 base framing protocol (https://www.rfc-editor.org/rfc/rfc6455#section-5.2):
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-------+-+-------------+-------------------------------+
//  |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//  |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//  |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//  | |1|2|3|       |K|             |                               |
//  +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//  |     Extended payload length continued, if payload len == 127  |
//  + - - - - - - - - - - - - - - - +-------------------------------+
//  |                               |Masking-key, if MASK set to 1  |
//  +-------------------------------+-------------------------------+
//  | Masking-key (continued)       |          Payload Data         |
//  +-------------------------------- - - - - - - - - - - - - - - - +
//
//  Header length = 2 + (0 | 2 | 8 extended length) + (0 | 4 mask) = 2..14 bytes.

/// <summary>Decodes RFC 6455 frame headers. Pure: no state, no I/O; the payload is left to the caller.</summary>
internal static class WebSocketFrameDecoder
{
    /// <summary>Largest possible header: 2 fixed + 8 extended length + 4 masking key.</summary>
    public const int MaxHeaderLength = 2 + 8 + 4;

    /// <summary>Largest payload of a Close, Ping or Pong frame (§5.5).</summary>
    public const int MaxControlPayloadLength = 125;

    private const byte FinBit = 0b_1000_0000;
    private const byte ReservedBitsMask = 0b_0111_0000;
    private const byte OpcodeMask = 0b_0000_1111;
    private const byte MaskBit = 0b_1000_0000;
    private const byte LengthMask = 0b_0111_1111;
    private const byte Length16Marker = 126;
    private const byte Length64Marker = 127;

    /// <summary>
    /// Reads one frame header from the start of <paramref name="input"/>.
    /// </summary>
    /// <param name="expectMasked">
    /// True on the server: every client frame must be masked (§5.1). False on a client: no server frame may be.
    /// </param>
    /// <param name="maxPayload">Largest accepted payload for this frame; a larger one is <see cref="WebSocketProtocolError.MessageTooBig"/>.</param>
    /// <returns>
    /// True with <paramref name="headerLength"/> bytes consumed; false if <paramref name="input"/> holds only part of
    /// a header (nothing consumed, read more). Throws <see cref="ProtocolException"/> with a
    /// <see cref="WebSocketProtocolError"/> as soon as the bytes present prove the header invalid.
    /// </returns>
    public static bool TryReadHeader(
        ReadOnlySpan<byte> input,
        bool expectMasked,
        long maxPayload,
        out WebSocketFrameHeader header,
        out int headerLength)
    {
        header = default;
        headerLength = 0;
        if (input.Length < 2)
        {
            return false;
        }

        byte b0 = input[0];
        byte b1 = input[1];
        bool fin = (b0 & FinBit) != 0;
        var opcode = (WebSocketOpcode)(b0 & OpcodeMask);
        bool masked = (b1 & MaskBit) != 0;
        int length7 = b1 & LengthMask;

        if ((b0 & ReservedBitsMask) != 0)
        {
            Fail(WebSocketProtocolError.ReservedBitsSet, "RSV bits set but no extension was negotiated.");
        }

        bool isControl;
        switch (opcode)
        {
            case WebSocketOpcode.Continuation or WebSocketOpcode.Text or WebSocketOpcode.Binary:
                isControl = false;
                break;
            case WebSocketOpcode.Close or WebSocketOpcode.Ping or WebSocketOpcode.Pong:
                isControl = true;
                break;
            default:
                Fail(WebSocketProtocolError.UnknownOpcode, "Reserved opcode.");
                return false;
        }

        if (isControl)
        {
            if (!fin)
            {
                Fail(WebSocketProtocolError.ControlFrameFragmented, "Control frames must not be fragmented.");
            }

            // 126/127 would announce an extended length, which already means > 125.
            if (length7 > MaxControlPayloadLength)
            {
                Fail(WebSocketProtocolError.ControlFrameTooLong, "Control frame payload exceeds 125 bytes.");
            }
        }

        if (masked != expectMasked)
        {
            if (expectMasked)
            {
                Fail(WebSocketProtocolError.MissingMask, "Client frames must be masked.");
            }

            Fail(WebSocketProtocolError.UnexpectedMask, "Server frames must not be masked.");
        }

        int extendedLength = length7 switch
        {
            Length16Marker => 2,
            Length64Marker => 8,
            _ => 0,
        };
        int total = 2 + extendedLength + (masked ? 4 : 0);
        if (input.Length < 2 + extendedLength)
        {
            return false;
        }

        long payloadLength;
        if (extendedLength == 2)
        {
            payloadLength = BinaryPrimitives.ReadUInt16BigEndian(input.Slice(2));
            if (payloadLength <= MaxControlPayloadLength)
            {
                Fail(WebSocketProtocolError.NonMinimalLength, "16-bit length used for a payload under 126 bytes.");
            }
        }
        else if (extendedLength == 8)
        {
            ulong raw = BinaryPrimitives.ReadUInt64BigEndian(input.Slice(2));
            if (raw > long.MaxValue)
            {
                Fail(WebSocketProtocolError.PayloadLengthOverflow, "64-bit length has its most significant bit set.");
            }

            payloadLength = (long)raw;
            if (payloadLength <= ushort.MaxValue)
            {
                Fail(WebSocketProtocolError.NonMinimalLength, "64-bit length used for a payload under 65536 bytes.");
            }
        }
        else
        {
            payloadLength = length7;
        }

        if (payloadLength > maxPayload)
        {
            Fail(WebSocketProtocolError.MessageTooBig, "Frame payload exceeds the configured limit.");
        }

        if (input.Length < total)
        {
            return false;
        }

        uint maskKey = masked ? BinaryPrimitives.ReadUInt32BigEndian(input.Slice(2 + extendedLength)) : 0;
        header = new WebSocketFrameHeader(fin, 0, opcode, masked, maskKey, payloadLength);
        headerLength = total;
        return true;
    }

    /// <summary>
    /// <see cref="TryReadHeader(ReadOnlySpan{byte}, bool, long, out WebSocketFrameHeader, out int)"/> over pipe data.
    /// A header split across segments is copied (at most 14 bytes) to the stack first; nothing is consumed either way,
    /// the caller advances its reader by <paramref name="headerLength"/>.
    /// </summary>
    public static bool TryReadHeader(
        in ReadOnlySequence<byte> input,
        bool expectMasked,
        long maxPayload,
        out WebSocketFrameHeader header,
        out int headerLength)
    {
        ReadOnlySpan<byte> first = input.FirstSpan;
        if (first.Length >= MaxHeaderLength || input.IsSingleSegment)
        {
            return TryReadHeader(first, expectMasked, maxPayload, out header, out headerLength);
        }

        Span<byte> scratch = stackalloc byte[MaxHeaderLength];
        int available = (int)Math.Min(input.Length, MaxHeaderLength);
        input.Slice(0, available).CopyTo(scratch);
        return TryReadHeader(scratch.Slice(0, available), expectMasked, maxPayload, out header, out headerLength);
    }

    [DoesNotReturn]
    [StackTraceHidden]
    private static void Fail(WebSocketProtocolError reason, string message) => ProtocolException.Throw(reason, message);
}
