using System.Text;
using MadBase.Load.Net;
using MadBase.Protocol.Phoenix;
using MadBase.Protocol.WebSockets;

namespace MadBase.Load.Realtime;

/// <summary>
/// MadBase (Supabase Realtime wire protocol, vsn 2.0.0): each subscriber joins one channel with a postgres_changes
/// INSERT binding on the published table, exactly as realtime-js would (docs/protocol/realtime.md §Joining a channel,
/// §postgres_changes bindings). A tick is a change event whose <c>record</c> carries the row id (sequence) and the
/// publisher's timestamp column.
/// </summary>
internal sealed class PhoenixProtocol : ISubscriberProtocol
{
    public const string Topic = "realtime:load";

    /// <summary>The join's ref and join_ref: every subscriber has one channel, so one constant ref identifies the reply.</summary>
    private const string JoinRef = "1";

    /// <summary>Fast path: fan-out frames use join_ref and ref null (docs/protocol/realtime.md §Change event frame), so
    /// the prefix is fixed.</summary>
    private static readonly byte[] s_changePrefix = Encoding.UTF8.GetBytes($"[null,null,\"{Topic}\",\"postgres_changes\",");

    private static readonly byte[] s_topic = Encoding.UTF8.GetBytes(Topic);

    private readonly string _apiKey;
    private readonly ClientTokens? _tokens;

    /// <param name="apiKey">The key every client presents, unless <paramref name="tokens"/> gives each its own JWT.</param>
    public PhoenixProtocol(string apiKey, ClientTokens? tokens, string table)
    {
        _apiKey = apiKey.Length > 0 || tokens is not null ? apiKey : throw new ArgumentException("--apikey or --jwt-secret is required.");
        _tokens = tokens;
        string join =
            $"[\"{JoinRef}\",\"{JoinRef}\",\"{Topic}\",\"phx_join\",{{\"config\":{{\"broadcast\":{{\"ack\":false,\"self\":false}}," +
            "\"presence\":{\"key\":\"\",\"enabled\":false}," +
            $"\"postgres_changes\":[{{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"{table}\"}}],\"private\":false}}}}]";
        SubscribeFrame = ClientFrames.Create(WebSocketOpcode.Text, Encoding.UTF8.GetBytes(join));
        HeartbeatFrame = ClientFrames.Create(WebSocketOpcode.Text, "[null,\"hb\",\"phoenix\",\"heartbeat\",{}]"u8);
    }

    public string SubscribePath(int client) =>
        $"/realtime/v1/websocket?apikey={Uri.EscapeDataString(_tokens?.For(client) ?? _apiKey)}&vsn=2.0.0";

    public byte[]? SubscribeFrame { get; }

    public byte[]? HeartbeatFrame { get; }

    public TickKind Classify(ReadOnlySpan<byte> text, out long seq, out long sentMicros)
    {
        seq = 0;
        sentMicros = 0;
        if (text.StartsWith(s_changePrefix))
        {
            return ReadRecord(text.Slice(s_changePrefix.Length), out seq, out sentMicros);
        }

        PhoenixMessage message;
        try
        {
            message = PhoenixSerializer.Parse(text, PhoenixVersion.V2);
        }
        catch (MadBase.Protocol.ProtocolException)
        {
            return TickKind.Other;
        }

        if (!message.Topic.ValueEquals(s_topic))
        {
            return message.Topic.ValueEquals("phoenix"u8) && message.Event.ValueEquals("phx_reply"u8) ? TickKind.HeartbeatReply : TickKind.Other;
        }

        ReadOnlySpan<byte> payload = message.Payload;
        if (message.Event.ValueEquals("postgres_changes"u8))
        {
            return ReadRecord(payload, out seq, out sentMicros);
        }

        if (message.Event.ValueEquals("phx_reply"u8) && message.Ref.ValueEquals("1"u8))
        {
            return payload.IndexOf("\"status\":\"ok\""u8) >= 0 ? TickKind.Subscribed : TickKind.Refused;
        }

        if (message.Event.ValueEquals("phx_close"u8) || message.Event.ValueEquals("phx_error"u8)
            || (message.Event.ValueEquals("system"u8) && payload.IndexOf("\"status\":\"error\""u8) >= 0))
        {
            return TickKind.Refused;
        }

        return TickKind.Other;
    }

    /// <summary>Record columns come in attnum order: id (bigserial, the sequence), then ts (microseconds).</summary>
    private static TickKind ReadRecord(ReadOnlySpan<byte> payload, out long seq, out long sentMicros)
    {
        seq = 0;
        sentMicros = 0;
        int record = payload.IndexOf("\"record\":"u8);
        if (record < 0)
        {
            return TickKind.Other;
        }

        ReadOnlySpan<byte> rest = payload.Slice(record);
        int end = JsonScan.TryReadLong(rest, "\"id\":"u8, out seq);
        if (end < 0 || JsonScan.TryReadLong(rest.Slice(end), "\"ts\":"u8, out sentMicros) < 0)
        {
            return TickKind.Other;
        }

        return TickKind.Tick;
    }
}
