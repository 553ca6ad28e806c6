using System.Buffers;
using System.Text.Json;
using MadBase.Edge.WebSockets;
using MadBase.Protocol.Phoenix;
using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Realtime;

/// <summary>
/// Builds complete WebSocket frames carrying Phoenix messages, each as one exact-size array that can be queued to
/// any number of sockets of the same serializer version.
/// </summary>
internal static class PhoenixFrames
{
    /// <summary>
    /// realtime-js parses with JSON.parse, so only what JSON requires is escaped; the default encoder would turn
    /// non-ASCII text and characters like the backtick in upstream's messages into \u escapes.
    /// </summary>
    private static readonly System.Text.Encodings.Web.JavaScriptEncoder s_encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>Closes the <c>{"ids":…,"data":…</c> payload, then the v2 array or the v1 object.</summary>
    private const int MaxKeptJsonBuffer = 16 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_jsonBuffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_jsonWriter;

    private static readonly byte[] s_postgresTailV2 = "}]"u8.ToArray();
    private static readonly byte[] s_postgresTailV1 = "}}"u8.ToArray();

    public static ReadOnlySpan<byte> EmptyObject => "{}"u8;

    /// <summary><c>[join_ref, ref, topic, event, payload]</c> (or the v1 object) around verbatim payload JSON.</summary>
    public static byte[] Message(PhoenixVersion version, string? joinRef, string? @ref, string topic, string @event, ReadOnlySpan<byte> payloadJson)
    {
        var length = PhoenixWriter.GetLength(version, joinRef, @ref, topic, @event, payloadJson.Length);
        var (frame, writer) = Allocate(length);
        PhoenixWriter.Write(writer, version, joinRef, @ref, topic, @event, payloadJson);
        return frame;
    }

    /// <summary>A <c>phx_reply</c> echoing the request's join_ref, ref and topic tokens byte for byte.</summary>
    public static byte[] Reply(PhoenixVersion version, in PhoenixMessage request, PhoenixReplyStatus status, ReadOnlySpan<byte> responseJson)
    {
        var length = PhoenixWriter.GetReplyLength(version, request, status, responseJson.Length);
        var (frame, writer) = Allocate(length);
        PhoenixWriter.WriteReply(writer, version, request, status, responseJson);
        return frame;
    }

    public static byte[] Reply(PhoenixVersion version, string? joinRef, string? @ref, string topic, PhoenixReplyStatus status, ReadOnlySpan<byte> responseJson)
    {
        var length = PhoenixWriter.GetReplyLength(version, joinRef, @ref, topic, status, responseJson.Length);
        var (frame, writer) = Allocate(length);
        PhoenixWriter.WriteReply(writer, version, joinRef, @ref, topic, status, responseJson);
        return frame;
    }

    /// <summary>A vsn 2.0.0 kind-4 binary broadcast, payload bytes forwarded untouched.</summary>
    public static byte[] BinaryBroadcast(ReadOnlySpan<byte> topic, ReadOnlySpan<byte> @event, ReadOnlySpan<byte> metadata, PhoenixPayloadEncoding encoding, ReadOnlySpan<byte> payload)
    {
        var length = PhoenixBinary.GetUserBroadcastPrefixLength(topic, @event, metadata) + payload.Length;
        var headerLength = WebSocketFrameWriter.GetHeaderLength(length, masked: false);
        var frame = new byte[headerLength + length];
        WebSocketFrameWriter.WriteHeader(frame, WebSocketOpcode.Binary, fin: true, length, maskKey: null);
        var at = headerLength + PhoenixBinary.WriteUserBroadcastPrefix(frame.AsSpan(headerLength), topic, @event, metadata, encoding);
        payload.CopyTo(frame.AsSpan(at));
        return frame;
    }

    /// <summary>
    /// A whole postgres_changes frame, <c>[null,null,topic,"postgres_changes",{"ids":[…],"data":</c> + the change's
    /// <c>DataJson</c> + <c>}]</c>. Built once per change for all channels that share (vsn, topic, ids), so the change
    /// JSON is copied once per distinct frame, not per subscriber.
    /// </summary>
    public static OutboundFrame PostgresChange(PhoenixVersion version, string topic, ReadOnlySpan<int> ids, ReadOnlySpan<byte> dataJson)
    {
        Span<byte> idsJson = stackalloc byte[16 + (ids.Length * 11)];
        var idsLength = WriteIdsPrefix(idsJson, ids);
        var tail = version == PhoenixVersion.V2 ? s_postgresTailV2 : s_postgresTailV1;
        var prefixLength = PhoenixWriter.GetPrefixLength(version, null, null, topic, "postgres_changes");
        var payloadLength = prefixLength + idsLength + dataJson.Length + tail.Length;
        var headerLength = WebSocketFrameWriter.GetHeaderLength(payloadLength, masked: false);
        var frame = new byte[headerLength + payloadLength];
        WebSocketFrameWriter.WriteHeader(frame, WebSocketOpcode.Text, fin: true, payloadLength, maskKey: null);
        var writer = new FixedBufferWriter(frame, headerLength);
        PhoenixWriter.WritePrefix(writer, version, null, null, topic, "postgres_changes");
        var at = writer.Position;
        idsJson[..idsLength].CopyTo(frame.AsSpan(at));
        at += idsLength;
        dataJson.CopyTo(frame.AsSpan(at));
        at += dataJson.Length;
        tail.CopyTo(frame.AsSpan(at));
        return new OutboundFrame(frame);
    }

    /// <summary>Serialises a small JSON document (replies, system messages, presence) without reflection.</summary>
    public static byte[] Json<TState>(TState state, Action<Utf8JsonWriter, TState> write)
    {
        // One buffer and one writer per thread, reused: only the returned array is new (replies and system messages
        // are built on every join, so a connection storm would otherwise leave both behind per message).
        var buffer = t_jsonBuffer ??= new ArrayBufferWriter<byte>(256);
        var json = t_jsonWriter ??= new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true, Encoder = s_encoder });
        buffer.ResetWrittenCount();
        json.Reset(buffer);
        write(json, state);
        json.Flush();
        var result = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > MaxKeptJsonBuffer)
        {
            t_jsonBuffer = null; // a rare large message does not pin its buffer to the thread
            t_jsonWriter = null;
        }

        return result;
    }

    private static int WriteIdsPrefix(Span<byte> destination, ReadOnlySpan<int> ids)
    {
        var at = 0;
        "{\"ids\":["u8.CopyTo(destination);
        at += 8;
        for (var i = 0; i < ids.Length; i++)
        {
            if (i > 0)
            {
                destination[at++] = (byte)',';
            }

            ids[i].TryFormat(destination[at..], out var written, provider: System.Globalization.CultureInfo.InvariantCulture);
            at += written;
        }

        "],\"data\":"u8.CopyTo(destination[at..]);
        return at + 9;
    }

    private static (byte[] Frame, FixedBufferWriter Writer) Allocate(int payloadLength)
    {
        var headerLength = WebSocketFrameWriter.GetHeaderLength(payloadLength, masked: false);
        var frame = new byte[headerLength + payloadLength];
        WebSocketFrameWriter.WriteHeader(frame, WebSocketOpcode.Text, fin: true, payloadLength, maskKey: null);
        return (frame, new FixedBufferWriter(frame, headerLength));
    }
}
