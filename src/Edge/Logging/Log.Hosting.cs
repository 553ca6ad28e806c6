namespace MadBase.Edge.Logging;

/// <summary>
/// Source-generated log messages. Event ids are reserved per area: Hosting 1000–1999, Replication 2000–2999,
/// Realtime 3000–3999, Uploads 4000–4999, StorageApi 5000–5999, Objects 6000–6999, Transport 7000–7999,
/// Cluster 8000–8999.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "MadBase Edge listening on {Listen} (storage backend {Backend})")]
    public static partial void Listening(ILogger logger, string listen, string backend);

    [LoggerMessage(1001, LogLevel.Information, "Applied migration {Version} ({Name})")]
    public static partial void MigrationApplied(ILogger logger, int version, string name);

    [LoggerMessage(1002, LogLevel.Warning, "Database not ready for migrations ({Reason}); retrying in {DelayMs} ms")]
    public static partial void MigrationRetry(ILogger logger, string reason, double delayMs);

    [LoggerMessage(1003, LogLevel.Information, "Created publication {Publication} for realtime.messages (add your tables with ALTER PUBLICATION ... ADD TABLE)")]
    public static partial void PublicationCreated(ILogger logger, string publication);

    [LoggerMessage(1004, LogLevel.Information, "Shutting down: no new connections, finishing in-flight requests (deadline {Seconds} s)")]
    public static partial void ShuttingDown(ILogger logger, double seconds);

    [LoggerMessage(1005, LogLevel.Error, "Unhandled error serving {Method} {Path}")]
    public static partial void UnhandledRequestError(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(1006, LogLevel.Information, "Added {Table} to publication {Publication} (database broadcasts from realtime.send())")]
    public static partial void PublicationTableAdded(ILogger logger, string publication, string table);

    [LoggerMessage(1007, LogLevel.Warning, "Could not add {Table} to publication {Publication} ({Reason}): realtime.send() broadcasts will not be delivered")]
    public static partial void PublicationTableNotAdded(ILogger logger, string publication, string table, string reason);

    [LoggerMessage(1008, LogLevel.Debug, "Quiet with garbage held: compacting collection took committed memory from {BeforeMiB} MiB to {AfterMiB} MiB")]
    public static partial void IdleMemoryTrimmed(ILogger logger, long beforeMiB, long afterMiB);

    [LoggerMessage(1009, LogLevel.Debug, "Quiet after start: advised page-out of {MiB} MiB of the executable's read-only mappings")]
    public static partial void StartupPagesReleased(ILogger logger, long mib);
}
