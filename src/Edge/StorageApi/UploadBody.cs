using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using MadBase.Edge.Objects;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace MadBase.Edge.StorageApi;

/// <summary>
/// An upload's bytes and attributes, read from either body form storage-js sends
/// (docs/protocol/tus-and-storage.md §Upload): <c>multipart/form-data</c> (fields <c>cacheControl</c>,
/// <c>contentType</c>, <c>metadata</c>, then the first file part, whose body is streamed — never buffered) or a raw
/// body described by <c>content-type</c>, <c>cache-control</c> and <c>x-metadata</c> (base64 JSON) headers.
/// </summary>
internal sealed class UploadBody
{
    /// <summary>User metadata is capped like upstream; it lives in a jsonb column, not in the object store.</summary>
    private const int MaxFieldBytes = 1024 * 1024;

    private UploadBody(Stream content, long? declaredLength, string contentType, string cacheControl, string? userMetadataJson)
    {
        Content = content;
        DeclaredLength = declaredLength;
        ContentType = contentType;
        CacheControl = cacheControl;
        UserMetadataJson = userMetadataJson;
    }

    public Stream Content { get; }

    /// <summary>The Content-Length of a raw body (checked against limits before anything is stored); null for form uploads.</summary>
    public long? DeclaredLength { get; }

    public string ContentType { get; }

    public string CacheControl { get; }

    public string? UserMetadataJson { get; }

    public static async Task<UploadBody> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var contentType = request.ContentType;
        if (contentType is not null && contentType.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return await ReadFormAsync(request, contentType, cancellationToken);
        }

        var metadata = request.Headers["x-metadata"].ToString();
        return new UploadBody(
            request.Body,
            request.ContentLength,
            string.IsNullOrWhiteSpace(contentType) ? "application/octet-stream" : contentType,
            request.Headers.CacheControl.ToString() is { Length: > 0 } cache ? cache : "no-cache",
            metadata.Length == 0 ? null : ValidJsonOrNull(DecodeBase64(metadata)));
    }

    private static async Task<UploadBody> ReadFormAsync(HttpRequest request, string contentType, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            throw StorageException.InvalidRequest("multipart/form-data without a valid boundary");
        }

        var reader = new MultipartReader(boundary, request.Body) { HeadersCountLimit = 16, HeadersLengthLimit = 16 * 1024 };
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
            {
                continue;
            }

            var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
            if (disposition.IsFileDisposition() || name.Length == 0)
            {
                // Fields must precede the file (storage-js sends them first); the file part is streamed from here on.
                var mime = fields.GetValueOrDefault("contentType") is { Length: > 0 } fieldType ? fieldType
                    : section.ContentType is { Length: > 0 } partType ? partType
                    : "application/octet-stream";
                var cache = fields.GetValueOrDefault("cacheControl") is { Length: > 0 } seconds
                    ? long.TryParse(seconds, System.Globalization.CultureInfo.InvariantCulture, out var s) ? "max-age=" + s : seconds
                    : "no-cache";
                var metadata = fields.GetValueOrDefault("metadata") ?? fields.GetValueOrDefault("userMetadata");
                return new UploadBody(section.Body, null, mime, cache, metadata is null ? null : ValidJsonOrNull(metadata));
            }

            fields[name] = await ReadFieldAsync(section.Body, name, cancellationToken);
        }

        throw StorageException.InvalidRequest("the multipart/form-data body has no file part");
    }

    private static async Task<string> ReadFieldAsync(Stream body, string name, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int n;
        while ((n = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + n > MaxFieldBytes)
            {
                throw StorageException.InvalidRequest($"form field '{name}' is larger than {MaxFieldBytes} bytes");
            }

            buffer.Write(chunk, 0, n);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static string DecodeBase64(string value)
    {
        if (value.Length > MaxFieldBytes * 4 / 3 + 4)
        {
            throw StorageException.InvalidRequest("x-metadata is too large");
        }

        var bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(value.Length)];
        return Convert.TryFromBase64String(value, bytes, out var written) ? Encoding.UTF8.GetString(bytes, 0, written) : "";
    }

    /// <summary>Invalid user metadata is ignored, as upstream does, rather than failing the upload.</summary>
    private static string? ValidJsonOrNull(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object ? text : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
