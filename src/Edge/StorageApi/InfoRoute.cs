using MadBase.Edge.Objects;

namespace MadBase.Edge.StorageApi;

/// <summary><c>GET /object/info[/authenticated|/public]/B/P</c> (docs/protocol/tus-and-storage.md §Info and HEAD): the
/// row as storage-js' <c>info()</c> reads it.</summary>
internal static class InfoRoute
{
    public static async Task RouteAsync(HttpContext context, StorageServices services, string rawTail)
    {
        ObjectRecord? row;
        if (rawTail.StartsWith("public/", StringComparison.Ordinal))
        {
            var target = StorageApiEndpoints.Target(rawTail["public/".Length..]);
            if (await services.Objects.GetBucketAsync(target.Bucket, context.RequestAborted) is not { Public: true })
            {
                throw StorageException.BucketNotFound();
            }

            row = await services.Objects.FindAsync(target.Bucket, target.Name, null, "storage.object.info", context.RequestAborted);
        }
        else
        {
            var authenticated = rawTail.StartsWith("authenticated/", StringComparison.Ordinal);
            var target = StorageApiEndpoints.Target(authenticated ? rawTail["authenticated/".Length..] : rawTail);
            var caller = authenticated ? services.RequireCaller(context) : services.OptionalCaller(context);
            if (caller is null && await services.Objects.GetBucketAsync(target.Bucket, context.RequestAborted) is not { Public: true })
            {
                throw StorageException.BucketNotFound();
            }

            row = await services.Objects.FindAsync(target.Bucket, target.Name, caller, "storage.object.info", context.RequestAborted);
        }

        if (row is null)
        {
            throw StorageException.ObjectNotFound();
        }

        var metadata = row.Metadata;
        context.Response.Headers.ETag = metadata.ETag;
        context.Response.Headers.CacheControl = metadata.CacheControl;
        context.Response.Headers.LastModified = metadata.LastModified.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        await StorageHttp.WriteJsonAsync(context, 200, json =>
        {
            json.WriteStartObject();
            json.WriteString("id", row.Id.ToString());
            json.WriteString("name", row.Name);
            json.WriteString("version", row.Version);
            json.WriteString("bucket_id", row.BucketId);
            json.WriteNumber("size", metadata.Size);
            json.WriteString("content_type", metadata.MimeType);
            json.WriteString("cache_control", metadata.CacheControl);
            json.WriteString("etag", metadata.ETag);
            json.WriteRawOrEmptyObject("metadata", row.UserMetadataJson); // upstream stores {} for "no user metadata"
            json.WriteTimestamp("last_modified", row.UpdatedAt);
            json.WriteTimestamp("created_at", row.CreatedAt);
            json.WriteEndObject();
        });
    }
}
