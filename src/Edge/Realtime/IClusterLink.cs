using MadBase.Protocol.Phoenix;

namespace MadBase.Edge.Realtime;

/// <summary>
/// What the realtime hub hands to the other nodes in cluster mode. Declared here, implemented by the cluster node
/// (<c>Cluster/ClusterNode</c>), so the hub knows nothing of NATS and the dependency points from Cluster to Realtime.
/// </summary>
internal interface IClusterLink
{
    /// <summary>
    /// Queues a broadcast on <paramref name="topic"/> for every other node, which delivers it as this node did
    /// (<paramref name="kind"/>); never waits. If it cannot be passed on, this node's channels of the topic are told.
    /// </summary>
    void PublishBroadcast(PeerBroadcastKind kind, TopicKey topic, ReadOnlySpan<byte> @event, ReadOnlySpan<byte> metadata,
        PhoenixPayloadEncoding encoding, string? messageId, ReadOnlySpan<byte> payload);
}

/// <summary>The hub's three local fan-outs, which a peer repeats for a broadcast received from another node.</summary>
internal enum PeerBroadcastKind : byte
{
    /// <summary>A JSON broadcast payload (<see cref="RealtimeHub.DeliverText"/>).</summary>
    Text = 1,

    /// <summary>REST raw bytes (<see cref="RealtimeHub.DeliverRaw"/>).</summary>
    Raw = 2,

    /// <summary>A vsn 2.0.0 binary push whose fields travel untouched (<see cref="RealtimeHub.DeliverBinary"/>).</summary>
    Binary = 3,
}
