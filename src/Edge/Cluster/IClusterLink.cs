namespace MadBase.Edge.Cluster;

/// <summary>What the realtime hub hands to the other nodes in cluster mode.</summary>
internal interface IClusterLink
{
    /// <summary>
    /// Queues a <see cref="ClusterBroadcast"/> message on <paramref name="topic"/> for every other node; never waits.
    /// If it cannot be passed on, this node's channels of the topic are told.
    /// </summary>
    void PublishBroadcast(Realtime.TopicKey topic, byte[] message);
}
