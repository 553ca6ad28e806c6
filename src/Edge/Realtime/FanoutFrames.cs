using System.Text;
using MadBase.Protocol.Phoenix;

namespace MadBase.Edge.Realtime;

// The messages a TopicFanout sends, each building its frames from the caller's bytes (ref structs: they hold spans of
// the incoming frame, and building nothing until a recipient needs it costs nothing when the topic is empty).

/// <summary><c>[null,null,topic,"broadcast",payload]</c>, the payload JSON untouched.</summary>
internal readonly ref struct TextBroadcastFrame(string topic, ReadOnlySpan<byte> payloadJson) : IFanoutFrame
{
    private readonly ReadOnlySpan<byte> _payload = payloadJson;

    public byte[]? Build(PhoenixVersion version) => PhoenixFrames.Message(version, null, null, topic, "broadcast", _payload);
}

/// <summary><c>[null,null,topic,"presence_diff",diff]</c>.</summary>
internal readonly struct PresenceDiffFrame(string topic, byte[] diff) : IFanoutFrame
{
    public byte[]? Build(PhoenixVersion version) => PhoenixFrames.Message(version, null, null, topic, "presence_diff", diff);
}

/// <summary>
/// A kind-3 binary push as the subscribers need it: v2 gets a kind-4 frame with the payload bytes untouched, v1 the
/// JSON text form; a raw-byte payload cannot be expressed in v1 and is not sent there.
/// </summary>
internal readonly ref struct BinaryBroadcastFrame(string topic, ReadOnlySpan<byte> @event, ReadOnlySpan<byte> metadata, PhoenixPayloadEncoding encoding, ReadOnlySpan<byte> payload) : IFanoutFrame
{
    private readonly ReadOnlySpan<byte> _event = @event;
    private readonly ReadOnlySpan<byte> _metadata = metadata;
    private readonly ReadOnlySpan<byte> _payload = payload;

    public byte[]? Build(PhoenixVersion version) =>
        version == PhoenixVersion.V2 ? PhoenixFrames.BinaryBroadcast(Encoding.UTF8.GetBytes(topic), _event, _metadata, encoding, _payload)
        : encoding == PhoenixPayloadEncoding.Json ? PhoenixFrames.Message(PhoenixVersion.V1, null, null, topic, "broadcast", TextPayload(_event, _metadata, _payload))
        : null;

    private static byte[] TextPayload(ReadOnlySpan<byte> @event, ReadOnlySpan<byte> metadata, ReadOnlySpan<byte> payload)
    {
        var eventName = Encoding.UTF8.GetString(@event);
        return PhoenixFrames.Json((eventName, payload.ToArray(), metadata.ToArray()), static (json, p) =>
        {
            json.WriteStartObject();
            json.WriteString("type", "broadcast");
            json.WriteString("event", p.eventName);
            json.WritePropertyName("payload");
            json.WriteRawValue(p.Item2, skipInputValidation: true);
            if (p.Item3.Length > 0)
            {
                json.WritePropertyName("meta");
                json.WriteRawValue(p.Item3, skipInputValidation: true);
            }

            json.WriteEndObject();
        });
    }
}

/// <summary>
/// Raw bytes as a kind-4 frame, for v2 only (v1 cannot carry raw bytes). A database broadcast's row id
/// (<c>realtime.send_binary</c>) goes in the frame's metadata as <c>{"id":…}</c>, which the client shows as <c>meta</c>.
/// </summary>
internal readonly ref struct RawBroadcastFrame(string topic, string @event, string? messageId, ReadOnlySpan<byte> payload) : IFanoutFrame
{
    private readonly ReadOnlySpan<byte> _payload = payload;

    /// <summary>
    /// Whether the frame can be written: its topic, event and metadata each fit a one-byte length. A client's own
    /// binary broadcast came in such a frame; a database row or a REST call may name longer ones, and must be refused
    /// before they reach a fan-out (building the frame would throw there).
    /// </summary>
    public static bool Fits(string topic, string @event, string? messageId) =>
        Encoding.UTF8.GetByteCount(topic) <= PhoenixBinary.MaxFieldLength && Encoding.UTF8.GetByteCount(@event) <= PhoenixBinary.MaxFieldLength
        && (messageId is null || Encoding.UTF8.GetByteCount(messageId) + MetadataOverhead <= PhoenixBinary.MaxFieldLength);

    /// <summary><c>{"id":""}</c> around the message id (ids are uuids: no escapes).</summary>
    private const int MetadataOverhead = 9;

    public byte[]? Build(PhoenixVersion version) =>
        version != PhoenixVersion.V2 ? null
        : PhoenixFrames.BinaryBroadcast(Encoding.UTF8.GetBytes(topic), Encoding.UTF8.GetBytes(@event),
            messageId is null ? [] : PhoenixFrames.Json(messageId, static (json, id) =>
            {
                json.WriteStartObject();
                json.WriteString("id", id);
                json.WriteEndObject();
            }), PhoenixPayloadEncoding.Raw, _payload);
}
