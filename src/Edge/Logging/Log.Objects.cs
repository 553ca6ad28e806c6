namespace MadBase.Edge.Logging;

/// <summary>Objects area (stores and the storage.objects repository): event ids 6000–6999.</summary>
internal static partial class Log
{
    [LoggerMessage(6000, LogLevel.Debug, "Stored {Bucket}/{Name} version {Version} ({Size} bytes)")]
    public static partial void ObjectWritten(ILogger logger, string bucket, string name, string version, long size);

    [LoggerMessage(6001, LogLevel.Warning, "Could not delete unreferenced bytes {Key}: {Reason}; they are orphaned until removed by hand")]
    public static partial void OrphanedBytes(ILogger logger, string key, string reason);

    [LoggerMessage(6002, LogLevel.Warning, "Could not remove temporary file {Path}: {Reason}")]
    public static partial void FileCleanupFailed(ILogger logger, string path, string reason);

    [LoggerMessage(6003, LogLevel.Warning, "Could not abort S3 multipart upload for {Key}: {Reason}; its parts stay until a lifecycle rule removes them")]
    public static partial void S3AbortFailed(ILogger logger, string key, string reason);

    [LoggerMessage(6004, LogLevel.Information, "Object store: {Backend} at {Location}")]
    public static partial void ObjectStoreReady(ILogger logger, string backend, string location);

    [LoggerMessage(6005, LogLevel.Warning, "S3 {Method} attempt {Attempt} failed ({Reason}); retrying")]
    public static partial void S3Retry(ILogger logger, string method, int attempt, string reason);
}
