using System.Globalization;
using System.Net;
using System.Security.Cryptography;

namespace MadBase.Edge.Objects.S3;

internal sealed partial class S3Client
{
    /// <summary>PutObject of <paramref name="length"/> bytes of <paramref name="body"/> (a buffer-backed stream: it is rewound on a retry).</summary>
    public async Task PutObjectAsync(string key, Stream body, long length, string contentType, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(
            HttpMethod.Put, key, "", [new("content-type", contentType)], Rewinding(body, length),
            S3Signer.UnsignedPayload, repeatable: body.CanSeek, cancellationToken);
    }

    /// <summary>
    /// GetObject, whole or the inclusive byte range <paramref name="range"/>; null when the key does not exist. The
    /// body streams from the response, which the result owns.
    /// </summary>
    public async Task<S3Download?> GetObjectAsync(string key, (long First, long Last)? range, CancellationToken cancellationToken)
    {
        IReadOnlyList<KeyValuePair<string, string>> headers = range is { } r
            ? [new("range", string.Create(CultureInfo.InvariantCulture, $"bytes={r.First}-{r.Last}"))]
            : [];
        HttpResponseMessage response;
        try
        {
            response = await SendAsync(HttpMethod.Get, key, "", headers, () => null, S3Signer.EmptyPayloadHash, repeatable: true, cancellationToken, HttpCompletionOption.ResponseHeadersRead);
        }
        catch (S3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        try
        {
            var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var length = response.Content.Headers.ContentLength ?? throw new S3Exception(response.StatusCode, null, "GetObject answered without a Content-Length");
            return new S3Download(response, body, length, response.Content.Headers.ContentRange?.Length);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>DeleteObject; a key that does not exist is not an error.</summary>
    public async Task DeleteObjectAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await SendAsync(HttpMethod.Delete, key, "", [], () => null, S3Signer.EmptyPayloadHash, repeatable: true, cancellationToken);
        }
        catch (S3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone: deletes are idempotent.
        }
    }

    /// <summary>
    /// DeleteObjects (at most 1000 keys, quiet): the keys S3 could not delete, with its code and message; empty when
    /// every key is gone. S3 requires a Content-MD5 (or a checksum) on this request.
    /// </summary>
    public async Task<List<(string Key, string? Code, string? Message)>> DeleteObjectsAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(keys.Count, 1000);
        var xml = S3XmlWriter.DeleteObjects(keys);
        using var response = await SendAsync(
            HttpMethod.Post, key: null, "delete=",
            [new("content-md5", Convert.ToBase64String(MD5.HashData(xml))), new("content-type", "application/xml")],
            () => new ByteArrayContent(xml), S3Signer.PayloadHash(xml), repeatable: true, cancellationToken);
        var text = await ReadSmallAsync(response, cancellationToken);
        if (S3Xml.RootName(text) == "Error")
        {
            throw ErrorFrom(response.StatusCode, text, RequestId(response));
        }

        return [.. S3Xml.Elements(text, "Error").Select(e => (
            S3Xml.FirstText(text.AsSpan(e), "Key") ?? "", S3Xml.FirstText(text.AsSpan(e), "Code"), S3Xml.FirstText(text.AsSpan(e), "Message")))];
    }

    /// <summary>CopyObject inside the bucket (S3 copies the bytes itself). A missing source is a 404 <see cref="S3Exception"/>.</summary>
    public async Task CopyObjectAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(
            HttpMethod.Put, destinationKey, "", [new("x-amz-copy-source", _copySourcePrefix + S3Encoding.UriEncode(sourceKey, keepSlash: true))],
            () => null, S3Signer.EmptyPayloadHash, repeatable: true, cancellationToken);
        // A copy that fails after S3 has sent its 200 headers reports the failure as an <Error> body.
        var text = await ReadSmallAsync(response, cancellationToken);
        if (S3Xml.RootName(text) == "Error")
        {
            throw ErrorFrom(response.StatusCode, text, RequestId(response));
        }
    }
}

/// <summary>An open GetObject answer: <see cref="Length"/> bytes in <see cref="Body"/>; <see cref="TotalSize"/> from Content-Range when ranged.</summary>
internal sealed class S3Download(HttpResponseMessage response, Stream body, long length, long? totalSize) : IDisposable
{
    public Stream Body { get; } = body;

    public long Length { get; } = length;

    public long? TotalSize { get; } = totalSize;

    public void Dispose() => response.Dispose();
}
