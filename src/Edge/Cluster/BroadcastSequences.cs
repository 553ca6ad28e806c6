namespace MadBase.Edge.Cluster;

/// <summary>
/// Core NATS carries broadcasts at most once, so a message can be lost between nodes: the origin's queue was full
/// or NATS refused it, or this node's subscription overflowed. Every node numbers its broadcasts; a receiver that
/// sees a number jump knows how many it missed (though not their topics) and tells its channels — never a silent
/// gap. A number at or below the last one seen means the peer restarted: its new run counts from 1 again. The
/// first number heard from a node is taken as it is (this node may have started after it).
/// </summary>
internal sealed class BroadcastSequences
{
    private readonly Dictionary<string, long> _last = new(StringComparer.Ordinal);

    /// <summary>Records <paramref name="seq"/> from <paramref name="node"/>; returns how many of its broadcasts were missed before it.</summary>
    public long Observe(string node, long seq)
    {
        lock (_last)
        {
            var missed = !_last.TryGetValue(node, out var last) ? 0 : seq > last ? seq - last - 1 : seq - 1;
            _last[node] = seq;
            return missed;
        }
    }
}
