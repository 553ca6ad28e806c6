using MadBase.Protocol.Tus;

namespace MadBase.Edge.Tus;

/// <summary>
/// A TUS request refused because of the server's state: auth, permissions, limits, offsets, expiry, locks. Header
/// syntax problems are <see cref="MadBase.Protocol.ProtocolException"/>s raised by the codecs; both carry a
/// <see cref="TusError"/>, and <see cref="TusErrorExtensions.ToHttpStatus"/> is the one table that turns a reason into
/// the status line. TUS clients read the real HTTP status (tus-js-client retries 409/423 and 5xx, gives up on other
/// 4xx), and the message becomes the plain-text body.
/// </summary>
internal sealed class UploadException(TusError reason, string message) : Exception(message)
{
    public TusError Reason { get; } = reason;

    public int Status => Reason.ToHttpStatus();

    public static UploadException Unauthorized(string why) => new(TusError.Unauthorized, "Unauthorized: " + why);

    public static UploadException Forbidden(string why) => new(TusError.Forbidden, why);

    public static UploadException NotFound() => new(TusError.UploadNotFound, "The file for this url was not found");

    public static UploadException Gone() => new(TusError.UploadGone, "The file for this url no longer exists");

    public static UploadException Conflict(string why) => new(TusError.OffsetConflict, why);

    public static UploadException TooLarge(long limit) => new(TusError.UploadTooLarge, $"Maximum size exceeded: the limit is {limit} bytes");

    public static UploadException Locked() => new(TusError.UploadLocked, "The upload is locked by another request; retry after it finishes");

    public static UploadException BadRequest(string why) => new(TusError.InvalidRequest, why);
}
