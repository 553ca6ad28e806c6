using System.Collections.Concurrent;

namespace MadBase.Edge.Realtime;

/// <summary>
/// Channels by topic, for broadcast and presence fan-out. Each topic holds an immutable array replaced on
/// join/leave, so a fan-out iterates a snapshot without locks while sockets come and go.
/// </summary>
internal sealed class TopicRegistry
{
    private static readonly RealtimeChannel[] s_none = [];
    private readonly ConcurrentDictionary<TopicKey, RealtimeChannel[]> _topics = new();
    private readonly Lock _gate = new();
    private int _channels;

    /// <summary>Joined channels across all sockets (a gauge for /metrics).</summary>
    public int ChannelCount => Volatile.Read(ref _channels);

    public int TopicCount => _topics.Count;

    public RealtimeChannel[] Get(TopicKey key) => _topics.TryGetValue(key, out var channels) ? channels : s_none;

    public void Add(RealtimeChannel channel)
    {
        lock (_gate)
        {
            _topics[channel.Key] = [.. Get(channel.Key), channel];
            _channels++;
        }
    }

    public void Remove(RealtimeChannel channel)
    {
        lock (_gate)
        {
            var current = Get(channel.Key);
            var kept = Array.FindAll(current, c => !ReferenceEquals(c, channel));
            if (kept.Length == current.Length)
            {
                return;
            }

            if (kept.Length == 0)
            {
                _topics.TryRemove(channel.Key, out _);
            }
            else
            {
                _topics[channel.Key] = kept;
            }

            _channels--;
        }
    }
}
