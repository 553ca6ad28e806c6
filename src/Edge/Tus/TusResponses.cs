using System.Globalization;
using MadBase.Protocol.Tus;

namespace MadBase.Edge.Tus;

/// <summary>Headers every TUS response carries, the OPTIONS answer, and plain-text errors.</summary>
internal static class TusResponses
{
    /// <summary>What this server implements (docs/protocol/tus-and-storage.md §TUS extensions); tus-js-client needs concatenation for parallelUploads.</summary>
    public const string Extensions = "creation,creation-with-upload,creation-defer-length,termination,expiration,checksum,concatenation";

    private const string AllowHeaders = "Authorization, ApiKey, Content-Type, X-Client-Info, X-Upsert, X-Signature, X-Request-ID, "
        + "X-HTTP-Method-Override, X-Requested-With, Tus-Resumable, Upload-Length, Upload-Offset, Upload-Metadata, "
        + "Upload-Defer-Length, Upload-Concat, Upload-Checksum, Upload-Expires";

    public static void AddCommon(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers[TusHeaderNames.TusResumable] = TusResumable.Version; // CORS headers come from CorsMiddleware
    }

    /// <summary>OPTIONS: anonymous discovery (docs/protocol/tus-and-storage.md §OPTIONS) doubling as the CORS preflight answer.</summary>
    public static void Options(HttpContext context, long maxSize)
    {
        var headers = context.Response.Headers;
        headers[TusHeaderNames.TusVersion] = TusResumable.Version;
        headers[TusHeaderNames.TusExtension] = Extensions;
        headers[TusHeaderNames.TusMaxSize] = maxSize.ToString(CultureInfo.InvariantCulture);
        headers[TusHeaderNames.TusChecksumAlgorithm] = TusChecksumAlgorithms.HeaderValue;
        headers.AccessControlAllowMethods = "POST, HEAD, PATCH, DELETE, OPTIONS";
        headers.AccessControlAllowHeaders = AllowHeaders;
        headers.AccessControlMaxAge = "86400";
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    public static void SetOffset(HttpContext context, long offset) =>
        context.Response.Headers[TusHeaderNames.UploadOffset] = TusNumericHeaders.Format(offset);

    public static void SetExpires(HttpContext context, DateTimeOffset expiresAt) =>
        context.Response.Headers[TusHeaderNames.UploadExpires] = TusExpires.Format(expiresAt);

    /// <summary>
    /// The one place a <see cref="TusError"/> becomes a response: the status its reason maps to
    /// (<see cref="TusErrorExtensions.ToHttpStatus"/>) and the message as the plain-text body; a 412 also names the
    /// version this server speaks (TUS core). TUS clients read the real status (tus-js-client retries 409, 423 and
    /// 5xx, and gives up on other 4xx).
    /// </summary>
    public static Task WriteErrorAsync(HttpContext context, TusError reason, string message)
    {
        if (reason == TusError.UnsupportedVersion && !context.Response.HasStarted)
        {
            context.Response.Headers[TusHeaderNames.TusVersion] = TusResumable.Version;
        }

        return WriteErrorAsync(context, reason.ToHttpStatus(), message);
    }

    /// <summary>A TUS error: the real status and a one-line plain-text body (tus-js-client shows it in its error).</summary>
    public static async Task WriteErrorAsync(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.WriteAsync(message + "\n", context.RequestAborted);
        }
    }
}
