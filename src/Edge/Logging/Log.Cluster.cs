namespace MadBase.Edge.Logging;

/// <summary>Cluster mode on NATS (broadcast and presence across nodes): event ids 8000–8999.</summary>
internal static partial class Log
{
    [LoggerMessage(8000, LogLevel.Information, "Cluster mode: node {Node} on NATS {Url} (subjects {Prefix}.*)")]
    public static partial void ClusterStarting(ILogger logger, string node, string url, string prefix);

    [LoggerMessage(8001, LogLevel.Warning, "NATS connection lost ({Reason}): broadcast and presence stay on this node until it is back")]
    public static partial void NatsDisconnected(ILogger logger, string reason);

    [LoggerMessage(8002, LogLevel.Information, "NATS connection open")]
    public static partial void NatsConnected(ILogger logger);

    [LoggerMessage(8003, LogLevel.Warning, "A cluster message from a peer was dropped: {Reason}")]
    public static partial void ClusterMessageInvalid(ILogger logger, string reason);

    [LoggerMessage(8004, LogLevel.Information, "Peer node {Node} joined the cluster")]
    public static partial void PeerJoined(ILogger logger, string node);

    [LoggerMessage(8005, LogLevel.Warning, "Peer node {Node} silent for {Seconds} s: down, its {Topics} presence topics get leaves")]
    public static partial void PeerDown(ILogger logger, string node, double seconds, int topics);

    [LoggerMessage(8006, LogLevel.Warning, "Presence state transfer from {Node} failed ({Reason}); retried at its next heartbeat")]
    public static partial void PresenceSyncFailed(ILogger logger, string node, string reason);

    [LoggerMessage(8007, LogLevel.Error, "A cluster loop failed")]
    public static partial void ClusterLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(8008, LogLevel.Warning, "{Missed} broadcast message(s) from node {Node} never arrived (NATS at most once): this node's channels are told")]
    public static partial void ClusterBroadcastsLost(ILogger logger, long missed, string node);
}
