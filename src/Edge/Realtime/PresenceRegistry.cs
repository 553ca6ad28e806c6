using System.Globalization;
using System.Text.Json;

namespace MadBase.Edge.Realtime;

/// <summary>
/// In-process presence (docs/protocol/realtime.md §Presence): per topic, every tracked meta by key. Each meta carries a
/// unique <c>phx_ref</c> the client correlates joins and leaves by. Tracking returns the <c>presence_diff</c> payload
/// to fan out; the state is what a newly joined channel receives as <c>presence_state</c>.
/// </summary>
internal sealed class PresenceRegistry
{
    private readonly Dictionary<TopicKey, List<PresenceMeta>> _topics = new();
    private readonly Lock _gate = new();
    private long _nextRef;

    /// <summary>
    /// Tracks (or updates) <paramref name="channel"/>'s meta. Null when the payload is identical to the current
    /// one (a no-op, as upstream); otherwise the diff: the new meta as a join, and the replaced one as a leave.
    /// </summary>
    public byte[]? Track(RealtimeChannel channel, ReadOnlySpan<byte> payloadObject)
    {
        lock (_gate)
        {
            if (!_topics.TryGetValue(channel.Key, out var metas))
            {
                metas = [];
                _topics[channel.Key] = metas;
            }

            var index = metas.FindIndex(m => ReferenceEquals(m.Channel, channel));
            PresenceMeta? previous = index >= 0 ? metas[index] : null;
            if (previous is not null && previous.Payload.AsSpan().SequenceEqual(payloadObject))
            {
                return null;
            }

            var phxRef = "F" + Interlocked.Increment(ref _nextRef).ToString("x", CultureInfo.InvariantCulture);
            var meta = new PresenceMeta(channel, channel.PresenceKey, phxRef, payloadObject.ToArray(), BuildMeta(phxRef, previous?.PhxRef, payloadObject));
            if (index >= 0)
            {
                metas[index] = meta;
            }
            else
            {
                metas.Add(meta);
            }

            return Diff(joins: [meta], leaves: previous is null ? [] : [previous]);
        }
    }

    /// <summary>Removes the channel's meta; the leave diff, or null if it tracked nothing.</summary>
    public byte[]? Untrack(RealtimeChannel channel)
    {
        lock (_gate)
        {
            if (!_topics.TryGetValue(channel.Key, out var metas))
            {
                return null;
            }

            var index = metas.FindIndex(m => ReferenceEquals(m.Channel, channel));
            if (index < 0)
            {
                return null;
            }

            var previous = metas[index];
            metas.RemoveAt(index);
            if (metas.Count == 0)
            {
                _topics.Remove(channel.Key);
            }

            return Diff(joins: [], leaves: [previous]);
        }
    }

    /// <summary>The <c>presence_state</c> payload: <c>{"key":{"metas":[…]},…}</c>.</summary>
    public byte[] State(TopicKey topic)
    {
        lock (_gate)
        {
            var metas = _topics.TryGetValue(topic, out var list) ? list.ToArray() : [];
            return PhoenixFrames.Json(metas, static (json, all) =>
            {
                json.WriteStartObject();
                WriteGrouped(json, all);
                json.WriteEndObject();
            });
        }
    }

    private static byte[] Diff(PresenceMeta[] joins, PresenceMeta[] leaves) => PhoenixFrames.Json((joins, leaves), static (json, diff) =>
    {
        json.WriteStartObject();
        json.WriteStartObject("joins");
        WriteGrouped(json, diff.joins);
        json.WriteEndObject();
        json.WriteStartObject("leaves");
        WriteGrouped(json, diff.leaves);
        json.WriteEndObject();
        json.WriteEndObject();
    });

    private static void WriteGrouped(Utf8JsonWriter json, PresenceMeta[] metas)
    {
        foreach (var group in metas.GroupBy(m => m.Key, StringComparer.Ordinal))
        {
            json.WriteStartObject(group.Key);
            json.WriteStartArray("metas");
            foreach (var meta in group)
            {
                json.WriteRawValue(meta.Json, skipInputValidation: true);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }
    }

    /// <summary><c>{"phx_ref":"F1"[,"phx_ref_prev":"F0"],…user fields}</c>, user fields copied verbatim.</summary>
    private static byte[] BuildMeta(string phxRef, string? previousRef, ReadOnlySpan<byte> payloadObject)
    {
        var head = PhoenixFrames.Json((phxRef, previousRef), static (json, refs) =>
        {
            json.WriteStartObject();
            json.WriteString("phx_ref", refs.phxRef);
            if (refs.previousRef is not null)
            {
                json.WriteString("phx_ref_prev", refs.previousRef);
            }

            json.WriteEndObject();
        });
        var inner = payloadObject.Trim(" \t\r\n"u8);
        inner = inner[1..^1].Trim(" \t\r\n"u8); // the validated object without its braces
        return inner.IsEmpty ? head : [.. head.AsSpan(0, head.Length - 1), (byte)',', .. inner, (byte)'}'];
    }

    private sealed record PresenceMeta(RealtimeChannel Channel, string Key, string PhxRef, byte[] Payload, byte[] Json);
}
