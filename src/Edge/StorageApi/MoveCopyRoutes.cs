using MadBase.Edge.Objects;

namespace MadBase.Edge.StorageApi;

/// <summary>
/// <c>POST /object/move</c> and <c>/object/copy</c> (docs/protocol/tus-and-storage.md §Move, copy and delete). Both
/// copy the bytes to a fresh version key inside the store first, then change rows as the caller; a refused row change
/// deletes the copy.
/// </summary>
internal static class MoveCopyRoutes
{
    public static async Task MoveAsync(HttpContext context, StorageServices services)
    {
        var caller = services.RequireCaller(context);
        var (source, destination) = await ReadTargetsAsync(context);
        var row = await services.Objects.FindAsync(source.Bucket, source.Name, caller, "storage.object.move", context.RequestAborted)
            ?? throw StorageException.ObjectNotFound();
        if (destination.Bucket != source.Bucket && await services.Objects.GetBucketAsync(destination.Bucket, context.RequestAborted) is null)
        {
            throw StorageException.BucketNotFound();
        }

        var version = ObjectKeys.NewVersion();
        await CopyBytesAsync(services, row, ObjectKeys.For(destination.Bucket, destination.Name, version), context.RequestAborted);
        var id = await services.Objects.MoveAsync(row, destination.Bucket, destination.Name, version, caller, context.RequestAborted);
        await StorageHttp.WriteJsonAsync(context, 200, json =>
        {
            json.WriteStartObject();
            json.WriteString("message", "Successfully moved");
            json.WriteString("Id", id.ToString());
            json.WriteString("Key", destination.Name);
            json.WriteEndObject();
        });
    }

    public static async Task CopyAsync(HttpContext context, StorageServices services)
    {
        var caller = services.RequireCaller(context);
        using var document = await StorageHttp.ReadJsonAsync(context);
        var (source, destination) = Targets(document.RootElement);
        var upsert = UploadRoutes.IsTrue(context.Request.Headers["x-upsert"]);
        var row = await services.Objects.FindAsync(source.Bucket, source.Name, caller, "storage.object.copy", context.RequestAborted)
            ?? throw StorageException.ObjectNotFound();
        var bucket = await services.Objects.GetBucketAsync(destination.Bucket, context.RequestAborted) ?? throw StorageException.BucketNotFound();

        var metadata = row.Metadata;
        var copyMetadata = document.RootElement.GetBoolean("copyMetadata") ?? true;
        var overrides = document.RootElement.TryGetProperty("metadata", out var m) ? m : default;
        var mime = overrides.GetString("mimetype") ?? metadata.MimeType;
        var cache = overrides.GetString("cacheControl") ?? metadata.CacheControl;
        var userMetadata = copyMetadata ? row.UserMetadataJson : null;
        if (metadata.Size > Math.Min(bucket.FileSizeLimit ?? services.GlobalMaxSize, services.GlobalMaxSize))
        {
            throw StorageException.EntityTooLarge();
        }

        if (!MimeTypes.IsAllowed(mime, bucket.AllowedMimeTypes))
        {
            throw StorageException.MimeNotAllowed(mime);
        }

        var write = new ObjectWrite(destination.Bucket, destination.Name, ObjectKeys.NewVersion(), caller.Subject, mime, cache, userMetadata, upsert, "storage.object.copy");
        await services.Objects.ProbeWriteAsync(write, metadata.Size, caller, context.RequestAborted);
        await CopyBytesAsync(services, row, write.StoreKey, context.RequestAborted);
        var result = await services.Objects.FinishWriteAsync(write, new StoredBytes(metadata.Size, metadata.ETag), caller, context.RequestAborted);
        await StorageHttp.WriteJsonAsync(context, 200, json =>
        {
            json.WriteStartObject();
            json.WriteString("Id", result.Id.ToString());
            json.WriteString("Key", destination.Url);
            json.WriteEndObject();
        });
    }

    private static async Task CopyBytesAsync(StorageServices services, ObjectRecord row, string destinationKey, CancellationToken cancellationToken)
    {
        var sourceKey = ObjectKeys.For(row.BucketId, row.Name, row.Version ?? "");
        await services.Store.CopyAsync(sourceKey, destinationKey, cancellationToken);
    }

    private static async Task<(ObjectTarget Source, ObjectTarget Destination)> ReadTargetsAsync(HttpContext context)
    {
        using var document = await StorageHttp.ReadJsonAsync(context);
        return Targets(document.RootElement);
    }

    private static (ObjectTarget Source, ObjectTarget Destination) Targets(System.Text.Json.JsonElement body)
    {
        var bucket = body.RequireString("bucketId");
        var source = new ObjectTarget(bucket, body.RequireString("sourceKey")).Validate();
        var destination = new ObjectTarget(body.GetString("destinationBucket") ?? bucket, body.RequireString("destinationKey")).Validate();
        return (source, destination);
    }
}
