using System.Text.Json;
using MadBase.Edge.Replication;

namespace MadBase.Edge.Realtime;

/// <summary>
/// Broadcasts from the database (docs/protocol/realtime.md §Broadcast): a committed INSERT into
/// <c>realtime.messages</c> with extension <c>broadcast</c> (what <c>realtime.send()</c> writes) reaches the channels
/// of its topic, private or public as the row says, as <c>{"type":"broadcast","event","payload","meta":{"id"}}</c>. The
/// row arrives through the same replication stream as every change, so it is delivered once, in commit order, and only
/// if committed (policy probes are always rolled back and never show up here).
/// </summary>
internal static class DatabaseBroadcast
{
    /// <summary>The topic and the broadcast payload of <paramref name="change"/>; false when it is not a database broadcast.</summary>
    public static bool TryRead(ChangeEvent change, out TopicKey topic, out byte[] payloadJson) => TryRead(change, out topic, out payloadJson, out _);

    /// <summary>As above, with the row's id (<c>meta.id</c>), by which a channel skips a message it was already replayed.</summary>
    public static bool TryRead(ChangeEvent change, out TopicKey topic, out byte[] payloadJson, out string? id)
    {
        topic = default;
        payloadJson = [];
        id = null;
        if (change.Kind != ChangeKind.Insert || change.Schema != "realtime" || change.Table != "messages" || Text(change, "extension") != "broadcast")
        {
            return false;
        }

        var name = Text(change, "topic");
        var eventName = Text(change, "event");
        var payload = Text(change, "payload");
        if (name is null || eventName is null || payload is null)
        {
            return false; // a binary row (realtime.send_binary) is read by TryReadBinary
        }

        id = Text(change, "id");
        var isPrivate = Text(change, "private") == "t";
        try
        {
            payloadJson = Payload(eventName, payload, id, replayed: false);
        }
        catch (JsonException)
        {
            return false;
        }

        topic = new TopicKey(RealtimeChannel.TopicPrefix + name, isPrivate);
        return true;
    }

    /// <summary>
    /// A <c>realtime.send_binary()</c> row: its topic, event, bytes and id. The bytes are decoded from bytea's text
    /// output (<c>\x…</c> hex, or the <c>escape</c> format when the server is set to it).
    /// </summary>
    public static bool TryReadBinary(ChangeEvent change, out TopicKey topic, out string eventName, out byte[] bytes, out string? id)
    {
        topic = default;
        eventName = "";
        bytes = [];
        id = null;
        if (change.Kind != ChangeKind.Insert || change.Schema != "realtime" || change.Table != "messages" || Text(change, "extension") != "broadcast"
            || Text(change, "payload") is not null || Text(change, "binary_payload") is not { } text
            || Text(change, "topic") is not { } name || Text(change, "event") is not { } @event || ByteaText.Decode(text) is not { } decoded)
        {
            return false;
        }

        id = Text(change, "id");
        eventName = @event;
        bytes = decoded;
        topic = new TopicKey(RealtimeChannel.TopicPrefix + name, Text(change, "private") == "t");
        return true;
    }

    /// <summary>
    /// <c>{"type":"broadcast","event","payload","meta":{"id"[,"replayed":true]}}</c>: the one shape of a message from
    /// <c>realtime.messages</c>, live or replayed. <paramref name="payload"/> is jsonb text output.
    /// </summary>
    /// <exception cref="JsonException">The payload is not valid JSON.</exception>
    public static byte[] Payload(string eventName, string payload, string? id, bool replayed) =>
        PhoenixFrames.Json((eventName, payload, id, replayed), static (json, m) =>
        {
            json.WriteStartObject();
            json.WriteString("type", "broadcast");
            json.WriteString("event", m.eventName);
            json.WritePropertyName("payload");

            // jsonb text output: validated, never trusted blindly — but with jsonb's own nesting, not the writer's
            // validation (64 levels), which silently dropped a deeper payload that PostgreSQL had accepted.
            if (!IsOneJsonValue(m.payload))
            {
                throw new JsonException("the payload is not one JSON value");
            }

            json.WriteRawValue(m.payload, skipInputValidation: true);
            if (m.id is not null)
            {
                json.WriteStartObject("meta");
                json.WriteString("id", m.id);
                if (m.replayed)
                {
                    json.WriteBoolean("replayed", true);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        });

    private static string? Text(ChangeEvent change, string column)
    {
        var index = change.ColumnIndex(column);
        return index >= 0 && index < change.Record.Count && change.Record[index].Kind == ChangeValueKind.Text ? change.Record[index].Text : null;
    }

    /// <summary>Deep enough for any payload a client's <c>JSON.parse</c> takes; the reader is iterative, so depth costs no stack.</summary>
    private const int MaxPayloadDepth = 10_000;

    private static bool IsOneJsonValue(string payload)
    {
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(payload), new JsonReaderOptions { MaxDepth = MaxPayloadDepth });
        try
        {
            return reader.Read() && reader.TrySkip() && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
