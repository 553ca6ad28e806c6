namespace MadBase.Edge.Cluster;

/// <summary>What the realtime hub hands to the other nodes in cluster mode.</summary>
internal interface IClusterLink
{
    /// <summary>Queues a <see cref="ClusterBroadcast"/> message for every other node; never waits.</summary>
    void PublishBroadcast(byte[] message);
}
