using MadBase.Protocol;
using MadBase.Protocol.Tus;

namespace MadBase.Edge.Tus;

/// <summary>
/// TUS requests refused because of the server's state (auth, permissions, limits, offsets, expiry, locks), raised
/// on the same channel as the codecs' header errors: a <see cref="ProtocolException"/> carrying a
/// <see cref="TusError"/>. Only the reason decides the status (<see cref="TusErrorExtensions.ToHttpStatus"/>), and
/// <see cref="TusResponses.WriteErrorAsync(HttpContext, TusError, string)"/> is the one place that answers it. The
/// messages below are the ones several call sites share; the message becomes the plain-text body.
/// </summary>
internal static class TusStateErrors
{
    public static ProtocolException Unauthorized(string why) => ProtocolException.Create(TusError.Unauthorized, "Unauthorized: " + why);

    public static ProtocolException Forbidden(string why) => ProtocolException.Create(TusError.Forbidden, why);

    public static ProtocolException NotFound() => ProtocolException.Create(TusError.UploadNotFound, "The file for this url was not found");

    public static ProtocolException Gone() => ProtocolException.Create(TusError.UploadGone, "The file for this url no longer exists");

    public static ProtocolException Conflict(string why) => ProtocolException.Create(TusError.OffsetConflict, why);

    public static ProtocolException TooLarge(long limit) => ProtocolException.Create(TusError.UploadTooLarge, $"Maximum size exceeded: the limit is {limit} bytes");

    public static ProtocolException Locked() => ProtocolException.Create(TusError.UploadLocked, "The upload is locked by another request; retry after it finishes");

    public static ProtocolException BadRequest(string why) => ProtocolException.Create(TusError.InvalidRequest, why);
}
