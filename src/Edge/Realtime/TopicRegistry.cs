using System.Collections.Concurrent;

namespace MadBase.Edge.Realtime;

/// <summary>
/// Channels by topic, for broadcast and presence fan-out. Each topic holds an immutable array replaced on
/// join/leave, so a fan-out iterates a snapshot without locks while sockets come and go.
/// </summary>
internal sealed class TopicRegistry
{
    private static readonly RealtimeChannel[] s_none = [];
    private readonly ConcurrentDictionary<string, RealtimeChannel[]> _topics = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private int _channels;

    /// <summary>Joined channels across all sockets (a gauge for /metrics).</summary>
    public int ChannelCount => Volatile.Read(ref _channels);

    public int TopicCount => _topics.Count;

    public RealtimeChannel[] Get(string topic) => _topics.TryGetValue(topic, out var channels) ? channels : s_none;

    public void Add(RealtimeChannel channel)
    {
        lock (_gate)
        {
            _topics[channel.Topic] = [.. Get(channel.Topic), channel];
            _channels++;
        }
    }

    public void Remove(RealtimeChannel channel)
    {
        lock (_gate)
        {
            var current = Get(channel.Topic);
            var kept = Array.FindAll(current, c => !ReferenceEquals(c, channel));
            if (kept.Length == current.Length)
            {
                return;
            }

            if (kept.Length == 0)
            {
                _topics.TryRemove(channel.Topic, out _);
            }
            else
            {
                _topics[channel.Topic] = kept;
            }

            _channels--;
        }
    }
}
