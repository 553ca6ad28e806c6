using System.Buffers.Binary;
using System.Security.Cryptography;
using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Tests.Realtime.Conformance;

/// <summary>
/// Client frames as Autobahn's fuzzingclient builds them, without any guard: any opcode (reserved ones too), RSV
/// bits, FIN, masked with a random key; and the Phoenix messages that stand in for Autobahn's echo payloads.
/// </summary>
internal static class Frames
{
    public const string EchoTopic = "realtime:echo";

    /// <summary>One masked frame.</summary>
    public static byte[] Frame(int opcode, ReadOnlySpan<byte> payload, bool fin = true, int rsv = 0)
    {
        var frame = new byte[14 + payload.Length];
        frame[0] = (byte)((fin ? 0x80 : 0) | (rsv << 4) | opcode);
        int at;
        if (payload.Length <= 125)
        {
            frame[1] = (byte)(0x80 | payload.Length);
            at = 2;
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            frame[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
            at = 4;
        }
        else
        {
            frame[1] = 0x80 | 127;
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
            at = 10;
        }

        var key = BinaryPrimitives.ReadUInt32BigEndian(RandomNumberGenerator.GetBytes(4));
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(at), key);
        at += 4;
        payload.CopyTo(frame.AsSpan(at));
        WebSocketMask.Apply(frame.AsSpan(at, payload.Length), key, 0);
        return frame[..(at + payload.Length)];
    }

    /// <summary>Only the header of a masked frame announcing <paramref name="length"/> payload bytes.</summary>
    public static byte[] Header(int opcode, long length, bool fin = true)
    {
        var header = new byte[14];
        header[0] = (byte)((fin ? 0x80 : 0) | opcode);
        header[1] = 0x80 | 127;
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(2), (ulong)length);
        return header; // mask key 0: the payload that never follows would be sent as is
    }

    public static byte[] Text(ReadOnlySpan<byte> payload, bool fin = true) => Frame((int)WebSocketOpcode.Text, payload, fin);

    public static byte[] Continuation(ReadOnlySpan<byte> payload, bool fin = true) => Frame((int)WebSocketOpcode.Continuation, payload, fin);

    public static byte[] Ping(ReadOnlySpan<byte> payload) => Frame((int)WebSocketOpcode.Ping, payload);

    public static byte[] Pong(ReadOnlySpan<byte> payload) => Frame((int)WebSocketOpcode.Pong, payload);

    public static byte[] Close(ushort code, ReadOnlySpan<byte> reason = default)
    {
        var payload = new byte[2 + reason.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        reason.CopyTo(payload.AsSpan(2));
        return Frame((int)WebSocketOpcode.Close, payload);
    }

    /// <summary>
    /// A Phoenix heartbeat of exactly <paramref name="length"/> bytes (padded inside its payload object), the stand-in
    /// for an Autobahn text echo: its reply carries <paramref name="ref"/>, which proves this message was read whole.
    /// </summary>
    public static byte[] Heartbeat(string @ref, int length = 0)
    {
        var head = "[null,\"" + @ref + "\",\"phoenix\",\"heartbeat\",{\"p\":\"";
        const string tail = "\"}]";
        var padding = Math.Max(0, length - head.Length - tail.Length);
        return Encoding.UTF8.GetBytes(head + new string('x', padding) + tail);
    }

    /// <summary>A heartbeat whose payload holds <paramref name="utf8"/> verbatim inside a JSON string.</summary>
    public static byte[] HeartbeatWith(string @ref, ReadOnlySpan<byte> utf8) =>
        [.. Encoding.UTF8.GetBytes("[null,\"" + @ref + "\",\"phoenix\",\"heartbeat\",{\"s\":\""), .. utf8, .. "\"}]"u8];

    /// <summary>
    /// A Phoenix binary broadcast push (kind 3) to <see cref="EchoTopic"/> of exactly <paramref name="length"/> bytes,
    /// the stand-in for an Autobahn binary echo: a socket joined with <c>self: true</c> gets it back as kind 4.
    /// </summary>
    public static byte[] BinaryPush(int length, byte fill = 0xfe)
    {
        var topic = Encoding.ASCII.GetBytes(EchoTopic);
        var push = new byte[Math.Max(length, 7 + topic.Length + 1)];
        push[0] = 3;            // kind: user broadcast push
        push[3] = (byte)topic.Length;
        push[4] = 1;            // event "e"
        push[6] = 0;            // payload encoding: binary
        topic.CopyTo(push, 7);
        push[7 + topic.Length] = (byte)'e';
        push.AsSpan(8 + topic.Length).Fill(fill);
        return push;
    }

    /// <summary>The payload bytes of a push from <see cref="BinaryPush"/> (what the kind-4 echo must carry).</summary>
    public static ReadOnlySpan<byte> PushPayload(byte[] push) => push.AsSpan(8 + EchoTopic.Length);

    /// <summary>A message as fragments of <paramref name="size"/> bytes: first frame <paramref name="opcode"/>, then continuations.</summary>
    public static byte[] Fragmented(WebSocketOpcode opcode, ReadOnlySpan<byte> message, int size)
    {
        var frames = new List<byte>();
        var at = 0;
        do
        {
            var length = Math.Min(size, message.Length - at);
            var last = at + length >= message.Length;
            frames.AddRange(Frame(at == 0 ? (int)opcode : 0, message.Slice(at, length), last));
            at += length;
        }
        while (at < message.Length);
        return [.. frames];
    }
}
