using MadBase.Edge.WebSockets;

namespace MadBase.Edge.Realtime.Replay;

/// <summary>
/// Puts one private channel's broadcast replay (docs/protocol/realtime.md §Broadcast replay) before its live
/// messages, and keeps a replayed message from arriving twice.
/// <para>
/// Invariant, kept here: until <see cref="Open"/>, every frame fanned out to the channel (broadcasts from clients, REST
/// and the database, presence diffs) is held in arrival order; <see cref="Open"/> queues the replayed frames, then the
/// held ones, and only then lets frames through, all under one lock, so no live frame overtakes a replayed one. A
/// database broadcast whose id was replayed is dropped whenever it arrives live, for the channel's whole life: the
/// replay query can see a row whose change is still on its way through replication.
/// </para>
/// </summary>
internal sealed class ReplayGate
{
    /// <summary>Frames held while the replay is read; more are dropped, counted, and the client is told at open.</summary>
    public const int MaxHeld = 1024;

    private readonly Lock _lock = new();
    private List<(OutboundFrame Frame, string? Id)>? _held = [];
    private HashSet<string> _replayedIds = [];
    private volatile bool _open;
    private long _dropped;

    /// <summary>
    /// Queues, holds or skips one frame for the channel; <paramref name="messageId"/> is the <c>realtime.messages</c> id
    /// of a database broadcast (null for anything else).
    /// </summary>
    /// <returns>False when the frame was dropped (already replayed, hold full, or a full outbound queue).</returns>
    public bool Send(OutboundQueue outbound, in OutboundFrame frame, string? messageId)
    {
        if (!_open)
        {
            lock (_lock)
            {
                if (!_open)
                {
                    if (_held!.Count >= MaxHeld)
                    {
                        _dropped++;
                        return false;
                    }

                    _held.Add((frame, messageId));
                    return true;
                }
            }
        }

        // Open: the id set no longer changes.
        return (messageId is null || !_replayedIds.Contains(messageId)) && outbound.TryEnqueue(frame);
    }

    /// <summary>Queues <paramref name="replayed"/> (ids <paramref name="ids"/>), then what was held, and opens.</summary>
    /// <returns>Frames dropped because the hold was full.</returns>
    public long Open(OutboundQueue outbound, IReadOnlyList<OutboundFrame> replayed, HashSet<string> ids)
    {
        lock (_lock)
        {
            _replayedIds = ids;
            foreach (var frame in replayed)
            {
                outbound.TryEnqueue(frame);
            }

            foreach (var (frame, id) in _held!)
            {
                if (id is null || !ids.Contains(id))
                {
                    outbound.TryEnqueue(frame);
                }
            }

            _held = null;
            _open = true;
            return _dropped;
        }
    }
}
