namespace MadBase.Edge.Logging;

internal static partial class Log
{
    [LoggerMessage(2000, LogLevel.Information, "Replication slot {Slot} created (pgoutput, permanent) at {Lsn}")]
    public static partial void SlotCreated(ILogger logger, string slot, string lsn);

    [LoggerMessage(2001, LogLevel.Information, "Streaming from slot {Slot} (publication {Publication}, proto_version {Version}, streaming {Streaming}) on PostgreSQL {ServerVersion}")]
    public static partial void ReplicationStarted(ILogger logger, string slot, string publication, int version, string streaming, string serverVersion);

    [LoggerMessage(2002, LogLevel.Warning, "Replication stream interrupted ({Reason}); reconnecting in {DelayMs} ms from the last acknowledged position {Lsn}")]
    public static partial void ReplicationReconnecting(ILogger logger, string reason, double delayMs, string lsn);

    [LoggerMessage(2003, LogLevel.Information, "Another MadBase process consumes slot {Slot}; standing by until it is free")]
    public static partial void SlotHeldElsewhere(ILogger logger, string slot);

    [LoggerMessage(2004, LogLevel.Critical, "REPLICATION SLOT {Slot} IS INVALIDATED (wal_status = lost): changes from the gap are gone for good. Drop the slot (select pg_drop_replication_slot('{Slot}')) to let MadBase create a new one; clients should refetch their data.")]
    public static partial void SlotInvalidated(ILogger logger, string slot);

    [LoggerMessage(2005, LogLevel.Error, "Replication slot {Slot} exists but belongs to database {Database} / plugin {Plugin}; MadBase needs a pgoutput slot in this database")]
    public static partial void SlotMismatch(ILogger logger, string slot, string database, string plugin);

    [LoggerMessage(2006, LogLevel.Information, "Skipped transaction ending at {Lsn}: already delivered before the reconnect")]
    public static partial void DuplicateTransactionSkipped(ILogger logger, string lsn);

    [LoggerMessage(2007, LogLevel.Error, "The replication stream sent bytes our decoder refuses ({Reason}); reconnecting from the last acknowledged position")]
    public static partial void ReplicationProtocolError(ILogger logger, Exception exception, string reason);

    [LoggerMessage(2008, LogLevel.Warning, "wal_level is {WalLevel}, not logical: realtime changes are unavailable until PostgreSQL runs with wal_level=logical")]
    public static partial void WalLevelNotLogical(ILogger logger, string walLevel);

    [LoggerMessage(2009, LogLevel.Warning, "PostgreSQL is shutting down: ending the replication session so it can finish (the slot keeps everything not acknowledged; streaming resumes when it is back)")]
    public static partial void ReplicationEndedForShutdown(ILogger logger);
}
