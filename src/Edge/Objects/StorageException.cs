namespace MadBase.Edge.Objects;

/// <summary>
/// A storage failure a client can act on. <see cref="Status"/> is the real HTTP meaning (404, 403, 409, 413…); the
/// REST API renders it Supabase-style (HTTP 400 with the status as a string in the body,
/// docs/protocol/tus-and-storage.md §Error shape) and TUS renders it as the real status with <see cref="Exception.Message"/> as
/// plain text. <see cref="Code"/> is Supabase's ErrorCode, <see cref="Error"/> its short error name.
/// </summary>
internal sealed class StorageException(int status, string code, string error, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    public string Error { get; } = error;

    public static StorageException ObjectNotFound() => new(404, "NoSuchKey", "not_found", "Object not found");

    public static StorageException BucketNotFound() => new(404, "NoSuchBucket", "Bucket not found", "Bucket not found");

    /// <summary>What upstream's JWT library says for an absent or non-JWS token (no <c>Authorization</c> header at all).</summary>
    public const string MissingTokenMessage = "Invalid Compact JWS";

    /// <summary>Upstream's text for a role check (service-role-only routes); sent with the real HTTP 403.</summary>
    public const string InvalidRoleMessage = "Access denied: Invalid role";

    public static StorageException Unauthorized(string message) => new(403, "AccessDenied", "Unauthorized", message);

    public static StorageException RowLevelSecurity(string operation) => new(403, "AccessDenied", "Unauthorized",
        "new row violates row-level security policy (" + operation + ")");

    public static StorageException Duplicate() => new(409, "KeyAlreadyExists", "Duplicate", "The resource already exists");

    public static StorageException BucketExists() => new(409, "BucketAlreadyExists", "Duplicate", "The resource already exists");

    public static StorageException BucketNotEmpty() => new(409, "ResourceNotEmpty", "ResourceNotEmpty", "The bucket you tried to delete is not empty");

    /// <summary>The text is fixed (no limit in it): clients compare it literally.</summary>
    public static StorageException EntityTooLarge() => new(413, "EntityTooLarge", "Payload too large",
        "The object exceeded the maximum allowed size");

    /// <summary>
    /// The database could not be reached (a transient Npgsql failure): 503 with the real status, so clients and
    /// proxies retry instead of reporting a server bug (docs/faults.md, "PostgreSQL unreachable").
    /// </summary>
    public static StorageException DatabaseUnavailable() => new(503, "DatabaseUnavailable", "Service Unavailable",
        "The database is unreachable; retry later");

    public static StorageException MimeNotAllowed(string mime) => new(415, "InvalidMimeType", "invalid_mime_type", $"mime type {mime} is not supported");

    public static StorageException InvalidKey(string key) => new(400, "InvalidKey", "InvalidKey", "Invalid key: " + key);

    public static StorageException InvalidBucketName() => new(400, "InvalidBucketName", "Invalid Input", "Bucket name invalid");

    public static StorageException InvalidRequest(string message) => new(400, "InvalidRequest", "InvalidRequest", message);

    public static StorageException InvalidRange() => new(416, "InvalidRange", "invalid_range", "invalid range provided");

    public static StorageException InvalidSignature(string message) => new(400, "InvalidSignature", "InvalidSignature", message);
}
