using System.Buffers;
using MadBase.Protocol.WebSockets;

namespace MadBase.Load.Net;

/// <summary>Masked client frames (RFC 6455 §5.3: every client-to-server frame is masked).</summary>
internal static class ClientFrames
{
    /// <summary>
    /// Appends one masked, final frame to <paramref name="output"/>. The masking key only defeats cache poisoning
    /// through intermediaries, which loopback has none of, so a fast non-cryptographic source is enough here.
    /// </summary>
    public static void Write(IBufferWriter<byte> output, WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        uint key = (uint)Random.Shared.Next() | 1u; // never all-zero, which some servers treat as suspicious
        int headerLength = WebSocketFrameWriter.GetHeaderLength(payload.Length, masked: true);
        Span<byte> span = output.GetSpan(headerLength + payload.Length);
        WebSocketFrameWriter.WriteHeader(span, opcode, fin: true, payload.Length, key);
        Span<byte> body = span.Slice(headerLength, payload.Length);
        payload.CopyTo(body);
        WebSocketMask.Apply(body, key, 0);
        output.Advance(headerLength + payload.Length);
    }

    /// <summary>A masked frame as a new array, for the rare control and protocol frames.</summary>
    public static byte[] Create(WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        var writer = new ArrayBufferWriter<byte>(WebSocketFrameDecoder.MaxHeaderLength + payload.Length);
        Write(writer, opcode, payload);
        return writer.WrittenSpan.ToArray();
    }
}
