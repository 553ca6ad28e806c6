using System.Buffers;
using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.WebSockets;

/// <summary>Builds complete unmasked server frames as exact-size arrays, ready to be queued and shared.</summary>
internal static class WebSocketFrames
{
    /// <summary>An empty Close, echoed when the peer's Close had no status code (RFC 6455 §5.5.1).</summary>
    public static readonly byte[] EmptyClose = Build(static w => WebSocketFrameWriter.WriteEmptyClose(w), 2);

    public static byte[] Close(ushort code, string reason)
    {
        var writer = new ArrayBufferWriter<byte>(2 + WebSocketClosePayload.MaxLength);
        WebSocketFrameWriter.WriteClose(writer, code, reason);
        return writer.WrittenSpan.ToArray();
    }

    public static byte[] Pong(ReadOnlySpan<byte> payload) => Control(WebSocketOpcode.Pong, payload);

    public static byte[] Ping(ReadOnlySpan<byte> payload) => Control(WebSocketOpcode.Ping, payload);

    private static byte[] Control(WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[WebSocketFrameWriter.GetHeaderLength(payload.Length, masked: false) + payload.Length];
        var header = WebSocketFrameWriter.WriteHeader(frame, opcode, fin: true, payload.Length, maskKey: null);
        payload.CopyTo(frame.AsSpan(header));
        return frame;
    }

    private static byte[] Build(Action<IBufferWriter<byte>> write, int length)
    {
        var writer = new ArrayBufferWriter<byte>(length);
        write(writer);
        return writer.WrittenSpan.ToArray();
    }
}
