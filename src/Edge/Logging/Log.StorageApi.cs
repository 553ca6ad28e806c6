namespace MadBase.Edge.Logging;

/// <summary>StorageApi area (REST routes under /storage/v1): event ids 5000–5999.</summary>
internal static partial class Log
{
    [LoggerMessage(5000, LogLevel.Debug, "Storage {Method} {Path} refused with {Status}: {Reason}")]
    public static partial void StorageRequestRefused(ILogger logger, string method, string path, int status, string reason);

    [LoggerMessage(5001, LogLevel.Information, "Upload of {Bucket}/{Name} failed after the permission check: {Reason}")]
    public static partial void UploadFailed(ILogger logger, string bucket, string name, string reason);

    [LoggerMessage(5002, LogLevel.Warning, "Row of {Bucket}/{Name} points at missing bytes (version {Version})")]
    public static partial void MissingBytes(ILogger logger, string bucket, string name, string? version);

    [LoggerMessage(5003, LogLevel.Warning, "File of {Bucket}/{Name} (version {Version}) ended after {Sent} of the {Size} bytes its row gives: the download was cut")]
    public static partial void ObjectFileShort(ILogger logger, string bucket, string name, string? version, long sent, long size);
}
