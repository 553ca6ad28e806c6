namespace MadBase.Edge.Logging;

/// <summary>Uploads (TUS) log messages: event ids 4000–4999.</summary>
internal static partial class Log
{
    [LoggerMessage(4000, LogLevel.Information, "Upload {UploadId} created for {Bucket}/{Name} ({Length} bytes)")]
    public static partial void UploadCreated(ILogger logger, string uploadId, string bucket, string name, string length);

    [LoggerMessage(4001, LogLevel.Information, "Upload {UploadId} completed: {Bucket}/{Name}, {Size} bytes in {Milliseconds} ms")]
    public static partial void UploadCompleted(ILogger logger, string uploadId, string bucket, string name, long size, long milliseconds);

    [LoggerMessage(4002, LogLevel.Warning, "Upload {UploadId}: completion failed; the next HEAD or PATCH retries it")]
    public static partial void UploadCompletionFailed(ILogger logger, Exception exception, string uploadId);

    [LoggerMessage(4003, LogLevel.Information, "Upload {UploadId} terminated by the client")]
    public static partial void UploadTerminated(ILogger logger, string uploadId);

    [LoggerMessage(4004, LogLevel.Information, "Swept {Count} expired uploads")]
    public static partial void UploadsSwept(ILogger logger, int count);

    [LoggerMessage(4005, LogLevel.Warning, "Upload sweep failed; retrying next interval")]
    public static partial void UploadSweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(4006, LogLevel.Debug, "Upload {UploadId}: PATCH ended early after {Bytes} bytes ({Reason}); the durable offset is {Offset}")]
    public static partial void UploadPatchInterrupted(ILogger logger, string uploadId, long bytes, string reason, long offset);

    [LoggerMessage(4007, LogLevel.Warning, "Upload {UploadId}: could not clean up {What}: {Reason}")]
    public static partial void UploadCleanupFailed(ILogger logger, string uploadId, string what, string reason);

    [LoggerMessage(4008, LogLevel.Error, "Unexpected error serving TUS {Method} {Path}")]
    public static partial void UploadUnexpectedError(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(4009, LogLevel.Information, "Released {Count} upload leases held by this instance before a restart")]
    public static partial void UploadLeasesReleased(ILogger logger, int count);

    [LoggerMessage(4010, LogLevel.Warning, "Upload {UploadId}: S3 parts could not be stored yet ({Reason}); later PATCHes or completion retry them")]
    public static partial void UploadPartsDeferred(ILogger logger, string uploadId, string reason);

    [LoggerMessage(4011, LogLevel.Warning, "Upload {UploadId}: {Reason}; rolled back from offset {From} to {To}, which the client resends from")]
    public static partial void UploadRolledBack(ILogger logger, string uploadId, string reason, long from, long to);

    [LoggerMessage(4012, LogLevel.Error, "Upload {UploadId}: not stored, because {Reason}")]
    public static partial void UploadCompletionRefused(ILogger logger, string uploadId, string reason);

    [LoggerMessage(4013, LogLevel.Information, "Upload {UploadId}: its scratch file is on another node or lost; rebuilt here from S3 (whole parts to {PartsEnd}, incomplete part to {Offset})")]
    public static partial void UploadScratchRestored(ILogger logger, string uploadId, long partsEnd, long offset);

    [LoggerMessage(4014, LogLevel.Warning, "Upload {UploadId}: the incomplete part could not be stored in or read from S3 ({Reason}); a node resuming it without the scratch file rolls back to the whole parts")]
    public static partial void UploadTailDeferred(ILogger logger, string uploadId, string reason);

    [LoggerMessage(4015, LogLevel.Warning, "Upload {UploadId}: lease held by node {Node}, which the cluster knows is down: taken over")]
    public static partial void UploadLeaseTakenOver(ILogger logger, string uploadId, string node);

    [LoggerMessage(4016, LogLevel.Warning, "TUS {Method} {Path}: the database is unreachable ({Reason}); answered 503")]
    public static partial void UploadDatabaseUnavailable(ILogger logger, string method, string path, string reason);

    [LoggerMessage(4017, LogLevel.Warning, "TUS {Method} {Path}: the scratch disk is full ({Reason}); answered 507")]
    public static partial void UploadScratchFull(ILogger logger, string method, string path, string reason);

    [LoggerMessage(4018, LogLevel.Information, "Upload {UploadId}: its S3 parts go to multipart upload {MultipartId}")]
    public static partial void UploadMultipartStarted(ILogger logger, string uploadId, string multipartId);

    [LoggerMessage(4019, LogLevel.Warning, "Upload {UploadId}: S3 multipart upload {MultipartId} started here is aborted: another process recorded one first, or the upload is gone")]
    public static partial void UploadMultipartClaimLost(ILogger logger, string uploadId, string multipartId);

    [LoggerMessage(4020, LogLevel.Error, "Upload {UploadId}: S3 parts sent in the background failed unexpectedly; completion sends the missing parts")]
    public static partial void UploadPartBatchFailed(ILogger logger, Exception exception, string uploadId);

    [LoggerMessage(4021, LogLevel.Warning, "Shutting down with {Count} uploads still sending S3 parts; completion sends those parts again")]
    public static partial void UploadPartBatchesCut(ILogger logger, int count);
}
