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

    [LoggerMessage(8009, LogLevel.Information, "Slot leader: writing changes to JetStream stream {Stream} after sequence {Seq} (it holds every transaction through {Lsn})")]
    public static partial void ChangeStreamLeading(ILogger logger, string stream, ulong seq, string lsn);

    [LoggerMessage(8010, LogLevel.Warning, "Another slot leader wrote to {Stream} ({Reason}): this node stops writing and does not acknowledge what it had not written")]
    public static partial void ChangeStreamFenced(ILogger logger, string stream, string reason);

    [LoggerMessage(8011, LogLevel.Warning, "JetStream did not take a change chunk ({Reason}); retrying in {DelayMs} ms (the slot keeps its WAL meanwhile)")]
    public static partial void ChangeStreamPublishRetrying(ILogger logger, string reason, double delayMs);

    [LoggerMessage(8012, LogLevel.Information, "Reading changes from JetStream stream {Stream} after sequence {Seq}")]
    public static partial void ChangeStreamReading(ILogger logger, string stream, ulong seq);

    [LoggerMessage(8013, LogLevel.Error, "The change stream skipped {Missing} message(s) this node had not read (sequence {From} to {To}: removed by the stream's age or size limit): postgres_changes subscribers are told")]
    public static partial void ChangeStreamGap(ILogger logger, ulong missing, ulong from, ulong to);

    [LoggerMessage(8014, LogLevel.Warning, "Reading the change stream failed ({Reason}); retrying")]
    public static partial void ChangeStreamReadFailed(ILogger logger, string reason);

    [LoggerMessage(8015, LogLevel.Error, "Change stream message {Seq} cannot be read ({Reason}): its changes are lost on this node; postgres_changes subscribers are told")]
    public static partial void ChangeStreamMessageUnreadable(ILogger logger, ulong seq, string reason);
}
