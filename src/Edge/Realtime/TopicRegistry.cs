using System.Collections.Concurrent;
using MadBase.Edge.Realtime.Collections;

namespace MadBase.Edge.Realtime;

/// <summary>
/// Channels by topic (a private and a public channel of one name are different topics), for broadcast and presence
/// fan-out. Each topic is a <see cref="SnapshotList{T}"/>: fan-out iterates without locks while sockets come and go,
/// and a join or leave costs O(1) amortised, not a copy of the topic.
/// </summary>
internal sealed class TopicRegistry
{
    private static readonly SnapshotList<RealtimeChannel>.View s_none = new([], 0);
    private readonly ConcurrentDictionary<TopicKey, SnapshotList<RealtimeChannel>> _topics = new();
    private readonly Lock _gate = new();
    private int _channels;

    /// <summary>Joined channels across all sockets (a gauge for /metrics).</summary>
    public int ChannelCount => Volatile.Read(ref _channels);

    public int TopicCount => _topics.Count;

    public SnapshotList<RealtimeChannel>.View Get(TopicKey key) => _topics.TryGetValue(key, out var channels) ? channels.Current : s_none;

    public void Add(RealtimeChannel channel)
    {
        lock (_gate)
        {
            _topics.GetOrAdd(channel.Key, static _ => new SnapshotList<RealtimeChannel>()).Add(channel);
            _channels++;
        }
    }

    public void Remove(RealtimeChannel channel)
    {
        lock (_gate)
        {
            if (!_topics.TryGetValue(channel.Key, out var channels) || !channels.Remove(channel))
            {
                return;
            }

            if (channels.Count == 0)
            {
                _topics.TryRemove(channel.Key, out _);
            }

            _channels--;
        }
    }
}
