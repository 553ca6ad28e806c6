using System.Globalization;
using System.Text.Json;

namespace MadBase.Edge.Realtime;

/// <summary>
/// Presence (docs/protocol/realtime.md §Presence): per topic, every tracked meta by key. Each meta carries a
/// unique <c>phx_ref</c> the client correlates joins and leaves by. Tracking returns the <c>presence_diff</c> payload
/// to fan out; the state is what a newly joined channel receives as <c>presence_state</c>.
/// In cluster mode the registry also holds the metas other nodes track (by node, as Phoenix.Tracker replicas do):
/// each local change is handed to <see cref="LocalChanged"/> under the registry's lock, numbered, so peers apply
/// them in order, and a peer's changes, state transfers and death come back as diffs for this node's channels.
/// </summary>
internal sealed class PresenceRegistry
{
    private readonly Dictionary<TopicKey, List<PresenceMeta>> _topics = new();
    private readonly Lock _gate = new();
    private long _nextRef;
    private long _localSeq;

    /// <summary>
    /// Cluster mode: called under the registry's lock with each local change (its sequence number and operations)
    /// so the order peers see is the order of the changes. Set once at start.
    /// </summary>
    public Action<long, PresenceOp[]>? LocalChanged { get; set; }

    /// <summary>Prefix of the <c>phx_ref</c>s this node hands out; cluster mode makes it unique per node.</summary>
    public string RefPrefix { get; set; } = "F";

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

            var phxRef = RefPrefix + Interlocked.Increment(ref _nextRef).ToString("x", CultureInfo.InvariantCulture);
            var meta = new PresenceMeta(channel, null, channel.PresenceKey, phxRef, payloadObject.ToArray(), BuildMeta(phxRef, previous?.PhxRef, payloadObject));
            if (index >= 0)
            {
                metas[index] = meta;
            }
            else
            {
                metas.Add(meta);
            }

            if (LocalChanged is { } changed)
            {
                changed(++_localSeq, previous is null
                    ? [new PresenceOp(true, channel.Key, meta.Key, phxRef, meta.Json)]
                    : [new PresenceOp(false, channel.Key, previous.Key, previous.PhxRef, previous.Json), new PresenceOp(true, channel.Key, meta.Key, phxRef, meta.Json)]);
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

            LocalChanged?.Invoke(++_localSeq, [new PresenceOp(false, channel.Key, previous.Key, previous.PhxRef, previous.Json)]);
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

    /// <summary>The number of the last local change (what a heartbeat tells peers).</summary>
    public long LocalSeq
    {
        get
        {
            lock (_gate)
            {
                return _localSeq;
            }
        }
    }

    /// <summary>Every meta this node tracks, as joins, with the sequence number of the last local change they include.</summary>
    public (long Seq, PresenceOp[] Joins) LocalSnapshot()
    {
        lock (_gate)
        {
            var joins = new List<PresenceOp>();
            foreach (var (key, metas) in _topics)
            {
                foreach (var meta in metas)
                {
                    if (meta.Channel is not null)
                    {
                        joins.Add(new PresenceOp(true, key, meta.Key, meta.PhxRef, meta.Json));
                    }
                }
            }

            return (_localSeq, [.. joins]);
        }
    }

    /// <summary>Applies a peer's changes; the diff per topic for this node's channels.</summary>
    public List<(TopicKey Topic, byte[] Diff)> ApplyRemote(string node, IReadOnlyList<PresenceOp> ops)
    {
        var changes = new Dictionary<TopicKey, (List<PresenceMeta> Joins, List<PresenceMeta> Leaves)>();
        lock (_gate)
        {
            foreach (var op in ops)
            {
                if (op.Join)
                {
                    AddRemote(node, op, changes);
                }
                else
                {
                    RemoveRemote(node, op.Topic, op.PhxRef, changes);
                }
            }
        }

        return Diffs(changes);
    }

    /// <summary>
    /// A peer's whole state (a state transfer): what it no longer tracks leaves, what is new joins.
    /// </summary>
    public List<(TopicKey Topic, byte[] Diff)> ReplaceRemote(string node, IReadOnlyList<PresenceOp> joins)
    {
        var changes = new Dictionary<TopicKey, (List<PresenceMeta> Joins, List<PresenceMeta> Leaves)>();
        lock (_gate)
        {
            var keep = new HashSet<string>(joins.Select(j => j.PhxRef), StringComparer.Ordinal);
            foreach (var (topic, phxRef) in RemoteOf(node))
            {
                if (!keep.Contains(phxRef))
                {
                    RemoveRemote(node, topic, phxRef, changes);
                }
            }

            foreach (var op in joins)
            {
                AddRemote(node, op, changes);
            }
        }

        return Diffs(changes);
    }

    /// <summary>A peer is down: all its metas leave.</summary>
    public List<(TopicKey Topic, byte[] Diff)> DropRemote(string node) => ReplaceRemote(node, []);

    private List<(TopicKey Topic, string PhxRef)> RemoteOf(string node)
    {
        var found = new List<(TopicKey, string)>();
        foreach (var (key, metas) in _topics)
        {
            foreach (var meta in metas)
            {
                if (meta.Node == node)
                {
                    found.Add((key, meta.PhxRef));
                }
            }
        }

        return found;
    }

    private void AddRemote(string node, PresenceOp op, Dictionary<TopicKey, (List<PresenceMeta> Joins, List<PresenceMeta> Leaves)> changes)
    {
        if (!_topics.TryGetValue(op.Topic, out var metas))
        {
            metas = [];
            _topics[op.Topic] = metas;
        }

        if (metas.Exists(m => m.Node == node && m.PhxRef == op.PhxRef))
        {
            return; // already known (a state transfer overlapping changes applied before it)
        }

        var meta = new PresenceMeta(null, node, op.Key, op.PhxRef, [], op.Json);
        metas.Add(meta);
        Change(changes, op.Topic).Joins.Add(meta);
    }

    private void RemoveRemote(string node, TopicKey topic, string phxRef, Dictionary<TopicKey, (List<PresenceMeta> Joins, List<PresenceMeta> Leaves)> changes)
    {
        if (!_topics.TryGetValue(topic, out var metas))
        {
            return;
        }

        var index = metas.FindIndex(m => m.Node == node && m.PhxRef == phxRef);
        if (index < 0)
        {
            return;
        }

        Change(changes, topic).Leaves.Add(metas[index]);
        metas.RemoveAt(index);
        if (metas.Count == 0)
        {
            _topics.Remove(topic);
        }
    }

    private static (List<PresenceMeta> Joins, List<PresenceMeta> Leaves) Change(Dictionary<TopicKey, (List<PresenceMeta> Joins, List<PresenceMeta> Leaves)> changes, TopicKey topic)
    {
        if (!changes.TryGetValue(topic, out var change))
        {
            change = ([], []);
            changes[topic] = change;
        }

        return change;
    }

    private static List<(TopicKey Topic, byte[] Diff)> Diffs(Dictionary<TopicKey, (List<PresenceMeta> Joins, List<PresenceMeta> Leaves)> changes) =>
        [.. changes.Select(c => (c.Key, Diff([.. c.Value.Joins], [.. c.Value.Leaves])))];

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

    /// <summary>A tracked meta: a local channel's (<see cref="Channel"/> set) or a peer node's (<see cref="Node"/> set).</summary>
    private sealed record PresenceMeta(RealtimeChannel? Channel, string? Node, string Key, string PhxRef, byte[] Payload, byte[] Json);
}

/// <summary>One presence change as peers exchange it: a meta joining or leaving a topic under a key.</summary>
internal sealed record PresenceOp(bool Join, TopicKey Topic, string Key, string PhxRef, byte[] Json);
