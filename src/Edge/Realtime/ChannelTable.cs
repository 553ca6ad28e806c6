using System.Diagnostics.CodeAnalysis;

namespace MadBase.Edge.Realtime;

/// <summary>
/// One socket's joined channels by topic. Nearly every socket joins one channel, so that one is held in a field and
/// a dictionary exists only from the second on: about 200 bytes less per idle socket than a dictionary of one. A
/// mutable struct: keep it in a (non-readonly) field and call it in place; the owner's lock serialises access.
/// </summary>
internal struct ChannelTable
{
    private RealtimeChannel? _single;
    private Dictionary<string, RealtimeChannel>? _many;

    public readonly int Count => _many?.Count ?? (_single is null ? 0 : 1);

    public readonly bool TryGetValue(string topic, [NotNullWhen(true)] out RealtimeChannel? channel)
    {
        if (_many is not null)
        {
            return _many.TryGetValue(topic, out channel);
        }

        channel = _single is not null && _single.Topic == topic ? _single : null;
        return channel is not null;
    }

    public readonly bool ContainsKey(string topic) => TryGetValue(topic, out _);

    /// <summary>Adds or replaces the channel of <paramref name="topic"/>.</summary>
    public void Set(string topic, RealtimeChannel channel)
    {
        if (_many is not null)
        {
            _many[topic] = channel;
        }
        else if (_single is null || _single.Topic == topic)
        {
            _single = channel;
        }
        else
        {
            _many = new Dictionary<string, RealtimeChannel>(StringComparer.Ordinal) { [_single.Topic] = _single, [topic] = channel };
            _single = null;
        }
    }

    public void Remove(string topic)
    {
        if (_many is not null)
        {
            _many.Remove(topic);
        }
        else if (_single is not null && _single.Topic == topic)
        {
            _single = null;
        }
    }

    /// <summary>A copy to iterate while channels are closed (closing removes them from this table).</summary>
    public readonly RealtimeChannel[] ToArray() =>
        _many is not null ? [.. _many.Values] : _single is not null ? [_single] : [];

    /// <summary>Whether a channel satisfies <paramref name="predicate"/>, without copying anything.</summary>
    public readonly bool Any<TState>(Func<RealtimeChannel, TState, bool> predicate, TState state)
    {
        if (_many is null)
        {
            return _single is not null && predicate(_single, state);
        }

        foreach (var channel in _many.Values)
        {
            if (predicate(channel, state))
            {
                return true;
            }
        }

        return false;
    }
}
