using System.Buffers;
using System.Buffers.Binary;

namespace MadBase.Protocol.WebSockets;

/// <summary>
/// Writes RFC 6455 frames (layout: see <see cref="WebSocketFrameDecoder"/>). The server sends unmasked frames; the
/// masked form exists for the load driver and tests, which play the client.
/// </summary>
internal static class WebSocketFrameWriter
{
    /// <summary>Header bytes for a frame: 2, plus 2 or 8 for the extended length, plus 4 if masked.</summary>
    public static int GetHeaderLength(long payloadLength, bool masked)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        int length = payloadLength switch
        {
            <= WebSocketFrameDecoder.MaxControlPayloadLength => 2,
            <= ushort.MaxValue => 2 + 2,
            _ => 2 + 8,
        };
        return masked ? length + 4 : length;
    }

    /// <summary>
    /// Writes a header with the minimal length encoding. <paramref name="maskKey"/> (big-endian key value, as in
    /// <see cref="WebSocketFrameHeader.MaskKey"/>) sets the MASK bit; the caller masks the payload itself.
    /// </summary>
    /// <returns>Bytes written (<see cref="GetHeaderLength"/>).</returns>
    public static int WriteHeader(Span<byte> destination, WebSocketOpcode opcode, bool fin, long payloadLength, uint? maskKey)
    {
        int headerLength = GetHeaderLength(payloadLength, maskKey.HasValue);
        if (destination.Length < headerLength)
        {
            throw new ArgumentException("Destination is too small for the frame header.", nameof(destination));
        }

        bool isControl = ((byte)opcode & 0x8) != 0;
        if (isControl && (!fin || payloadLength > WebSocketFrameDecoder.MaxControlPayloadLength))
        {
            throw new ArgumentException("Control frames are final and carry at most 125 bytes.", nameof(opcode));
        }

        destination[0] = (byte)((fin ? 0b_1000_0000 : 0) | (byte)opcode);
        byte maskBit = maskKey.HasValue ? (byte)0b_1000_0000 : (byte)0;
        int offset;
        if (payloadLength <= WebSocketFrameDecoder.MaxControlPayloadLength)
        {
            destination[1] = (byte)(maskBit | (byte)payloadLength);
            offset = 2;
        }
        else if (payloadLength <= ushort.MaxValue)
        {
            destination[1] = (byte)(maskBit | 126);
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2), (ushort)payloadLength);
            offset = 4;
        }
        else
        {
            destination[1] = (byte)(maskBit | 127);
            BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(2), (ulong)payloadLength);
            offset = 10;
        }

        if (maskKey is uint key)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(offset), key);
            offset += 4;
        }

        return offset;
    }

    /// <summary>
    /// Writes only an unmasked header, for frames whose payload the caller writes next in pieces (for example a
    /// Phoenix prefix, a payload shared by every subscriber, and a suffix).
    /// </summary>
    public static void WriteHeader(IBufferWriter<byte> output, WebSocketOpcode opcode, bool fin, long payloadLength)
    {
        Span<byte> span = output.GetSpan(WebSocketFrameDecoder.MaxHeaderLength);
        output.Advance(WriteHeader(span, opcode, fin, payloadLength, maskKey: null));
    }

    /// <summary>Writes a whole unmasked, final frame: header then payload.</summary>
    public static void WriteFrame(IBufferWriter<byte> output, WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        WriteHeader(output, opcode, fin: true, payload.Length);
        output.Write(payload);
    }

    /// <summary>An unmasked Text frame; <paramref name="utf8"/> must already be valid UTF-8.</summary>
    public static void WriteText(IBufferWriter<byte> output, ReadOnlySpan<byte> utf8) =>
        WriteFrame(output, WebSocketOpcode.Text, utf8);

    public static void WriteBinary(IBufferWriter<byte> output, ReadOnlySpan<byte> payload) =>
        WriteFrame(output, WebSocketOpcode.Binary, payload);

    /// <summary>An unmasked Ping; at most 125 payload bytes.</summary>
    public static void WritePing(IBufferWriter<byte> output, ReadOnlySpan<byte> payload) =>
        WriteFrame(output, WebSocketOpcode.Ping, payload);

    /// <summary>An unmasked Pong; echo the Ping's application data (§5.5.3).</summary>
    public static void WritePong(IBufferWriter<byte> output, ReadOnlySpan<byte> payload) =>
        WriteFrame(output, WebSocketOpcode.Pong, payload);

    /// <summary>An unmasked Close frame with a status code and a reason cut to 123 UTF-8 bytes.</summary>
    public static void WriteClose(IBufferWriter<byte> output, ushort code, ReadOnlySpan<char> reason)
    {
        Span<byte> payload = stackalloc byte[WebSocketClosePayload.MaxLength];
        int length = WebSocketClosePayload.Write(payload, code, reason);
        WriteFrame(output, WebSocketOpcode.Close, payload.Slice(0, length));
    }

    /// <summary>An unmasked Close frame with an empty body (status "none", e.g. to answer an empty Close).</summary>
    public static void WriteEmptyClose(IBufferWriter<byte> output) =>
        WriteFrame(output, WebSocketOpcode.Close, ReadOnlySpan<byte>.Empty);
}
