namespace MadBase.Edge.Cluster;

/// <summary>
/// What other areas may ask about the cluster without depending on NATS: this node's id, whether another node is
/// alive, and a "release" request to the node holding an upload's lease (as Supabase Storage's lockers publish one, so
/// a stale PATCH lets go at once). On a single node (<c>MADBASE_NATS_URL</c> unset) <see cref="Enabled"/> is false and
/// nothing here changes behaviour.
/// </summary>
internal sealed class ClusterMembership(EdgeOptions options)
{
    /// <summary>This process's id in the cluster: new at every start, as a restarted Phoenix.Tracker replica is new.</summary>
    public string NodeId { get; } = Guid.NewGuid().ToString("N")[..12];

    public bool Enabled { get; } = options.NatsUrl is not null;

    /// <summary>Set by <see cref="ClusterNode"/>: whether a node id was heard within the down period, and whether this node has listened long enough to judge.</summary>
    internal Func<string, bool?>? PeerAlive { get; set; }

    /// <summary>Set by <see cref="ClusterNode"/>: publishes a release request for an upload to the node holding its lease.</summary>
    internal Action<string, string>? SendRelease { get; set; }

    /// <summary>Raised (on a NATS loop) when another node asks this one to let go of an upload's lease.</summary>
    public event Action<string>? ReleaseRequested;

    /// <summary>True only when <paramref name="nodeId"/> is another node this one knows to be down (never on a single node).</summary>
    public bool IsDead(string nodeId) => Enabled && nodeId != NodeId && PeerAlive?.Invoke(nodeId) == false;

    /// <summary>Asks <paramref name="nodeId"/> to release its lease of <paramref name="uploadId"/>; a no-op on a single node.</summary>
    public void RequestRelease(string nodeId, string uploadId)
    {
        if (Enabled && nodeId != NodeId)
        {
            SendRelease?.Invoke(nodeId, uploadId);
        }
    }

    internal void OnReleaseRequested(string uploadId) => ReleaseRequested?.Invoke(uploadId);
}
