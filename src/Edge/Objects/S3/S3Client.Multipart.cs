using System.Globalization;
using System.Net;

namespace MadBase.Edge.Objects.S3;

internal sealed partial class S3Client
{
    /// <summary>CreateMultipartUpload; the content type given here is the completed object's.</summary>
    public async Task<string> CreateMultipartUploadAsync(string key, string contentType, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(
            HttpMethod.Post, key, "uploads=", [new("content-type", contentType)], () => null,
            S3Signer.EmptyPayloadHash, repeatable: true, cancellationToken);
        var text = await ReadSmallAsync(response, cancellationToken);
        return S3Xml.FirstText(text, "UploadId") is { Length: > 0 } id
            ? id
            : throw new S3Exception(response.StatusCode, S3Xml.FirstText(text, "Code"), "CreateMultipartUpload answered without an UploadId", RequestId(response));
    }

    /// <summary>UploadPart of exactly <paramref name="length"/> bytes of <paramref name="body"/>; returns the part's ETag as S3 sent it.</summary>
    public async Task<string> UploadPartAsync(string key, string uploadId, int partNumber, Stream body, long length, CancellationToken cancellationToken)
    {
        var query = S3Encoding.CanonicalQuery(KeyValuePair.Create("partNumber", partNumber.ToString(CultureInfo.InvariantCulture)), KeyValuePair.Create("uploadId", uploadId));
        using var response = await SendAsync(
            HttpMethod.Put, key, query, [], Rewinding(body, length),
            S3Signer.UnsignedPayload, repeatable: body.CanSeek, cancellationToken);
        return response.Headers.TryGetValues("ETag", out var etags) && etags.FirstOrDefault() is { Length: > 0 } etag
            ? etag
            : throw new S3Exception(response.StatusCode, null, $"UploadPart {partNumber} answered without an ETag", RequestId(response));
    }

    /// <summary>
    /// CompleteMultipartUpload with the parts in part-number order; returns the object's ETag. S3 may answer 200 and
    /// still fail (the status is sent before the parts are joined): an <c>&lt;Error&gt;</c> body is an
    /// <see cref="S3Exception"/> like any other failure.
    /// </summary>
    public async Task<string> CompleteMultipartUploadAsync(string key, string uploadId, IEnumerable<(int PartNumber, string ETag)> parts, CancellationToken cancellationToken)
    {
        var xml = S3XmlWriter.CompleteMultipartUpload(parts);
        using var response = await SendAsync(
            HttpMethod.Post, key, S3Encoding.CanonicalQuery(KeyValuePair.Create("uploadId", uploadId)), [new("content-type", "application/xml")],
            () => new ByteArrayContent(xml), S3Signer.PayloadHash(xml), repeatable: true, cancellationToken);
        var text = await ReadSmallAsync(response, cancellationToken);
        return ParseComplete(response.StatusCode, text, RequestId(response));
    }

    /// <summary>The ETag of a CompleteMultipartUpload answer, or the failure its body reports.</summary>
    internal static string ParseComplete(HttpStatusCode status, string xml, string? requestId) =>
        S3Xml.RootName(xml) switch
        {
            "CompleteMultipartUploadResult" => S3Xml.FirstText(xml, "ETag") ?? "",
            "Error" => throw ErrorFrom(status, xml, requestId),
            _ => throw new S3Exception(status, null, "CompleteMultipartUpload answered without a result", requestId),
        };

    /// <summary>AbortMultipartUpload; an upload S3 no longer knows (completed or aborted already) is not an error.</summary>
    public async Task AbortMultipartUploadAsync(string key, string uploadId, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await SendAsync(
                HttpMethod.Delete, key, S3Encoding.CanonicalQuery(KeyValuePair.Create("uploadId", uploadId)), [], () => null,
                S3Signer.EmptyPayloadHash, repeatable: true, cancellationToken);
        }
        catch (S3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            // NoSuchUpload: already completed or aborted.
        }
    }
}
