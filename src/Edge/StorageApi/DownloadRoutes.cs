using System.Globalization;
using MadBase.Edge.Objects;

namespace MadBase.Edge.StorageApi;

/// <summary>
/// Downloads and HEAD (docs/protocol/tus-and-storage.md §Download, §Info and HEAD): authenticated (RLS SELECT as the
/// caller), public (public bucket, no auth) and signed (see <see cref="SignedUrlRoutes"/>); conditional requests,
/// single ranges and <c>?download</c>. Bytes are streamed from the store; nothing is buffered whole.
/// </summary>
internal static class DownloadRoutes
{
    /// <summary>
    /// <c>/object/authenticated/B/P</c> (<paramref name="required"/>) and <c>/object/B/P</c>, which also serves public
    /// buckets to callers without a valid token, like upstream's allowInvalidJwt routes.
    /// </summary>
    public static async Task AuthenticatedAsync(HttpContext context, StorageServices services, ObjectTarget target, bool required)
    {
        var caller = required ? services.RequireCaller(context) : services.OptionalCaller(context);
        if (caller is null)
        {
            await PublicAsync(context, services, target);
            return;
        }

        Task<ObjectRecord?> Find(CancellationToken ct) => services.Objects.FindAsync(target.Bucket, target.Name, caller, "storage.object.get_authenticated", ct);
        var row = await Find(context.RequestAborted) ?? throw StorageException.ObjectNotFound();
        await ServeAsync(context, services, row, expires: null, Find);
    }

    /// <summary><c>/object/public/B/P</c>: only public buckets (otherwise "Bucket not found", revealing nothing), read as the server.</summary>
    public static async Task PublicAsync(HttpContext context, StorageServices services, ObjectTarget target)
    {
        var (isPublic, row) = await services.Objects.FindPublicAsync(target.Bucket, target.Name, context.RequestAborted);
        if (!isPublic)
        {
            throw StorageException.BucketNotFound();
        }

        Task<ObjectRecord?> Find(CancellationToken ct) => services.Objects.FindAsync(target.Bucket, target.Name, null, "storage.object.get_public", ct);
        await ServeAsync(context, services, row ?? throw StorageException.ObjectNotFound(), expires: null, Find);
    }

    /// <summary>
    /// Writes headers, answers 304/206/200 and streams the bytes (no body for HEAD). An overwrite that commits between
    /// reading the row and opening its bytes deletes the version just read; then the row is read again
    /// (<paramref name="reload"/>, while the version keeps changing) and the new version served, so readers never see a
    /// spurious 404 during overwrites.
    /// </summary>
    public static async Task ServeAsync(
        HttpContext context, StorageServices services, ObjectRecord row, DateTimeOffset? expires, Func<CancellationToken, Task<ObjectRecord?>> reload)
    {
        if (await TryServeAsync(context, services, row, expires))
        {
            return;
        }

        // Overwrites can follow each other faster than a read: try the newest version a few times, as long as it changes.
        for (var attempt = 0; attempt < MaxReloads; attempt++)
        {
            var fresh = await reload(context.RequestAborted) ?? throw StorageException.ObjectNotFound();
            if (fresh.Version == row.Version)
            {
                Log.MissingBytes(services.Logger, fresh.BucketId, fresh.Name, fresh.Version);
                throw StorageException.ObjectNotFound();
            }

            if (await TryServeAsync(context, services, fresh, expires))
            {
                return;
            }

            row = fresh;
        }

        Log.MissingBytes(services.Logger, row.BucketId, row.Name, row.Version);
        throw StorageException.ObjectNotFound();
    }

    /// <summary>Versions read again while overwrites keep replacing the one just read.</summary>
    private const int MaxReloads = 4;

    /// <summary>False only when the row's bytes are missing from the store (nothing has been written to the body yet).</summary>
    private static async Task<bool> TryServeAsync(HttpContext context, StorageServices services, ObjectRecord row, DateTimeOffset? expires)
    {
        var request = context.Request;
        var response = context.Response;
        var metadata = row.Metadata;
        var headers = response.Headers;
        var lastModified = TruncateToSeconds(metadata.LastModified);

        headers.ETag = metadata.ETag;
        headers.LastModified = lastModified.ToString("R", CultureInfo.InvariantCulture);
        headers.AcceptRanges = "bytes";
        headers["X-Robots-Tag"] = "none";
        if (expires is { } at)
        {
            // Signed URLs are cacheable until the token expires, not by the object's own Cache-Control.
            headers.Expires = at.ToString("R", CultureInfo.InvariantCulture);
        }
        else
        {
            headers.CacheControl = metadata.CacheControl;
        }

        if (NotModified(request, metadata.ETag, lastModified))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return true;
        }

        response.ContentType = SafeContentType(metadata.MimeType);
        if (DownloadParameter(request) is { } download)
        {
            headers.ContentDisposition = download is { Length: > 0 } fileName
                ? $"attachment; filename={Uri.EscapeDataString(fileName)}; filename*=UTF-8''{Uri.EscapeDataString(fileName)}"
                : "attachment;";
        }

        var range = RangeHeader.Parse(request.Headers.Range, metadata.Size);
        if (range is { } r)
        {
            response.StatusCode = StatusCodes.Status206PartialContent;
            headers.ContentRange = $"bytes {r.Start}-{r.End}/{metadata.Size}";
            response.ContentLength = r.Length;
        }
        else
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentLength = metadata.Size;
        }

        if (HttpMethods.IsHead(request.Method))
        {
            return true;
        }

        var key = ObjectKeys.For(row.BucketId, row.Name, row.Version ?? "");
        await using var read = await services.Store.OpenReadAsync(key, range, context.RequestAborted);
        if (read is null)
        {
            return false;
        }

        await ResponseBodyCopy.CopyAsync(read.Body, response.BodyWriter, context.RequestAborted);
        services.DownloadedBytes.Add(read.Length);
        return true;
    }

    /// <summary><c>?download=name</c>, <c>?download=</c> or a bare <c>?download</c> (which the query parser drops); null when absent.</summary>
    private static string? DownloadParameter(HttpRequest request)
    {
        if (request.Query.TryGetValue("download", out var value))
        {
            return value.ToString();
        }

        var query = request.QueryString.Value ?? "";
        return query.Split('?', '&').Any(p => p == "download") ? "" : null;
    }

    private static bool NotModified(HttpRequest request, string etag, DateTimeOffset lastModified)
    {
        var ifNoneMatch = request.Headers.IfNoneMatch.ToString();
        if (ifNoneMatch.Length > 0)
        {
            // Weak comparison (RFC 9110 §13.1.2): W/"x" matches "x"; "*" matches any existing object.
            foreach (var candidate in ifNoneMatch.Split(','))
            {
                var tag = candidate.Trim();
                if (tag == "*" || Strip(tag) == Strip(etag))
                {
                    return true;
                }
            }

            return false; // If-Modified-Since is ignored when If-None-Match is present
        }

        return request.Headers.IfModifiedSince.ToString() is { Length: > 0 } since
            && DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            && lastModified <= at;

        static string Strip(string tag) => tag.StartsWith("W/", StringComparison.Ordinal) ? tag[2..] : tag;
    }

    /// <summary>Never let stored HTML render as a page from the storage origin (upstream downgrades it too).</summary>
    internal static string SafeContentType(string mimeType)
    {
        var semicolon = mimeType.IndexOf(';', StringComparison.Ordinal);
        var bare = (semicolon < 0 ? mimeType : mimeType[..semicolon]).Trim();
        return bare.Equals("text/html", StringComparison.OrdinalIgnoreCase) || bare.Equals("application/xhtml+xml", StringComparison.OrdinalIgnoreCase)
            ? "text/plain" + (semicolon < 0 ? "" : mimeType[semicolon..])
            : mimeType;
    }

    internal static DateTimeOffset TruncateToSeconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}
