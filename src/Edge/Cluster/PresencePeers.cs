using MadBase.Edge.Realtime;

namespace MadBase.Edge.Cluster;

/// <summary>
/// What this node knows of every other node's presences: the last change number applied per peer, when it was last
/// heard, and whether a state transfer is under way (changes arriving meanwhile wait for it). A peer silent for
/// <see cref="DownAfter"/> is down: its presences leave on this node's channels, and if it comes back it is a new
/// peer whose state is transferred again.
/// </summary>
internal sealed class PresencePeers(RealtimeHub hub, TimeProvider time, ILogger logger, Func<string, Task<byte[]?>> requestState)
{
    /// <summary>Heartbeats every second; five missed ones mean down (leaves within about 6 s of a node's death).</summary>
    public static readonly TimeSpan HeartbeatPeriod = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan DownAfter = TimeSpan.FromSeconds(5);

    private readonly Dictionary<string, Peer> _peers = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _peers.Count;
            }
        }
    }

    /// <summary>Whether <paramref name="node"/> is a peer heard from within <see cref="DownAfter"/>.</summary>
    public bool IsAlive(string node)
    {
        lock (_gate)
        {
            return _peers.TryGetValue(node, out var peer) && time.GetElapsedTime(peer.LastHeard) < DownAfter;
        }
    }

    /// <summary>A changes or heartbeat message published by a peer.</summary>
    public void OnMessage(ReadOnlySpan<byte> message)
    {
        var (type, node, seq, ops) = PresenceMessages.Read(message);
        lock (_gate)
        {
            if (!_peers.TryGetValue(node, out var peer))
            {
                peer = new Peer();
                _peers[node] = peer;
                Log.PeerJoined(logger, node);
            }

            peer.LastHeard = time.GetTimestamp();
            if (type == PresenceMessages.Type.Heartbeat)
            {
                if (!peer.Syncing && seq > peer.LastSeq)
                {
                    StartSync(node, peer); // a change was missed (or the peer is new to us)
                }

                return;
            }

            if (peer.Syncing)
            {
                peer.Pending.Add((seq, ops));
            }
            else if (seq == peer.LastSeq + 1)
            {
                Apply(node, peer, seq, ops);
            }
            else if (seq > peer.LastSeq)
            {
                peer.Pending.Add((seq, ops));
                StartSync(node, peer);
            }
        }
    }

    /// <summary>Peers not heard from for <see cref="DownAfter"/> are down: their presences leave.</summary>
    public void DetectDowns()
    {
        lock (_gate)
        {
            foreach (var (node, peer) in _peers.ToArray())
            {
                var silent = time.GetElapsedTime(peer.LastHeard);
                if (silent < DownAfter)
                {
                    continue;
                }

                _peers.Remove(node);
                var diffs = hub.Presence.DropRemote(node);
                Log.PeerDown(logger, node, Math.Round(silent.TotalSeconds, 1), diffs.Count);
                Deliver(diffs);
            }
        }
    }

    private void Apply(string node, Peer peer, long seq, PresenceOp[] ops)
    {
        peer.LastSeq = seq;
        Deliver(hub.Presence.ApplyRemote(node, ops));
    }

    private void Deliver(List<(TopicKey Topic, byte[] Diff)> diffs)
    {
        foreach (var (topic, diff) in diffs)
        {
            hub.DeliverPresenceDiff(topic, diff);
        }
    }

    private void StartSync(string node, Peer peer)
    {
        peer.Syncing = true;
        _ = SyncAsync(node, peer);
    }

    private async Task SyncAsync(string node, Peer peer)
    {
        byte[]? state = null;
        string? problem = null;
        try
        {
            state = await requestState(node);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            problem = ex.Message;
        }

        lock (_gate)
        {
            peer.Syncing = false;
            if (!_peers.TryGetValue(node, out var current) || !ReferenceEquals(current, peer))
            {
                return; // declared down meanwhile
            }

            if (state is null)
            {
                peer.Pending.Clear();
                Log.PresenceSyncFailed(logger, node, problem ?? "no answer");
                return;
            }

            try
            {
                var (_, _, seq, joins) = PresenceMessages.Read(state);
                peer.LastSeq = seq;
                Deliver(hub.Presence.ReplaceRemote(node, joins));
            }
            catch (InvalidDataException ex)
            {
                peer.Pending.Clear();
                Log.PresenceSyncFailed(logger, node, ex.Message);
                return;
            }

            var pending = peer.Pending.OrderBy(p => p.Seq).ToArray();
            peer.Pending.Clear();
            foreach (var (seq, ops) in pending)
            {
                if (seq == peer.LastSeq + 1)
                {
                    Apply(node, peer, seq, ops);
                }
                else if (seq > peer.LastSeq)
                {
                    StartSync(node, peer); // still a gap: transfer again
                    return;
                }
            }
        }
    }

    private sealed class Peer
    {
        public long LastSeq { get; set; } = -1;

        public long LastHeard { get; set; }

        public bool Syncing { get; set; }

        public List<(long Seq, PresenceOp[] Ops)> Pending { get; } = [];
    }
}
