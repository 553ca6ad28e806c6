namespace MadBase.Edge.Uploads;

/// <summary>
/// A TUS request failure that is not a header-syntax problem (those are <see cref="MadBase.Protocol.ProtocolException"/>
/// with a <see cref="MadBase.Protocol.Tus.TusError"/>): auth, permissions, limits, state. TUS clients read the real
/// HTTP status (tus-js-client retries 409/423 and 5xx, gives up on other 4xx), so each carries its status and a
/// plain-text message.
/// </summary>
internal sealed class UploadException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    public static UploadException Unauthorized(string why) => new(401, "Unauthorized: " + why);

    public static UploadException Forbidden(string why) => new(403, why);

    public static UploadException NotFound() => new(404, "The file for this url was not found");

    public static UploadException Gone() => new(410, "The file for this url no longer exists");

    public static UploadException Conflict(string why) => new(409, why);

    public static UploadException AlreadyExists() => new(409, "The resource already exists");

    public static UploadException TooLarge(long limit) => new(413, $"Maximum size exceeded: the limit is {limit} bytes");

    public static UploadException Locked() => new(423, "The upload is locked by another request; retry after it finishes");

    public static UploadException BadRequest(string why) => new(400, why);
}
