using System.Net;

namespace MadBase.Edge.Objects.S3;

/// <summary>
/// S3 refused a request: the HTTP status and S3's own error code and message from the <c>&lt;Error&gt;</c> body.
/// <see cref="StatusCode"/> is 200 when the error came inside a 200 response (CompleteMultipartUpload and CopyObject
/// report failures found after the headers were sent that way).
/// </summary>
internal sealed class S3Exception(HttpStatusCode statusCode, string? errorCode, string message, string? requestId = null)
    : Exception($"S3 {(int)statusCode} {errorCode ?? "(no code)"}: {message}{(requestId is null ? "" : " (request " + requestId + ")")}")
{
    public HttpStatusCode StatusCode { get; } = statusCode;

    /// <summary>S3's error code (<c>NoSuchKey</c>, <c>NoSuchUpload</c>, <c>SlowDown</c>, …); null when the body named none.</summary>
    public string? ErrorCode { get; } = errorCode;

    public string? RequestId { get; } = requestId;

    /// <summary>The key or the multipart upload does not exist (404, or its code inside a 200 body).</summary>
    public bool IsNotFound => StatusCode == HttpStatusCode.NotFound || ErrorCode is "NoSuchKey" or "NoSuchUpload";
}
