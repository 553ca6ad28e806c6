using MadBase.Edge.Auth;
using MadBase.Edge.Objects;
using Microsoft.AspNetCore.Http.Features;

namespace MadBase.Edge.StorageApi;

/// <summary><c>POST|PUT /object/B/P</c> (docs/protocol/tus-and-storage.md §Upload) and the shared probe → stream → flip
/// write path.</summary>
internal static class UploadRoutes
{
    public static async Task UploadAsync(HttpContext context, StorageServices services, ObjectTarget target, bool forceUpsert)
    {
        target.Validate();
        var caller = services.RequireCaller(context);
        var upsert = forceUpsert || IsTrue(context.Request.Headers["x-upsert"]);
        var result = await StoreAsync(context, services, target, caller, caller.Subject, upsert, "storage.object.upload");
        await WriteResultAsync(context, target, result);
    }

    public static Task WriteResultAsync(HttpContext context, ObjectTarget target, ObjectWriteResult result) =>
        StorageHttp.WriteJsonAsync(context, 200, json =>
        {
            json.WriteStartObject();
            json.WriteString("Id", result.Id.ToString());
            json.WriteString("Key", target.Url);
            json.WriteEndObject();
        });

    public static bool IsTrue(Microsoft.Extensions.Primitives.StringValues value) =>
        value.ToString().Equals("true", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Stores the request body as <paramref name="target"/>: bucket limits (size, MIME) and the RLS probe as
    /// <paramref name="actor"/> come first, so nothing is stored for a request that would be refused.
    /// </summary>
    public static async Task<ObjectWriteResult> StoreAsync(
        HttpContext context, StorageServices services, ObjectTarget target, JwtClaims? actor, string? owner, bool upsert, string operation)
    {
        var cancellationToken = context.RequestAborted;

        // Upload bodies are streamed and capped by bucket and global limits below, not by Kestrel's 30 MB default.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = null;
        }

        var bucket = await services.Objects.GetBucketAsync(target.Bucket, cancellationToken) ?? throw StorageException.BucketNotFound();
        var limit = Math.Min(bucket.FileSizeLimit ?? services.GlobalMaxSize, services.GlobalMaxSize);
        var body = await UploadBody.ReadAsync(context.Request, cancellationToken);

        // Studio's "create folder" placeholders are exempt from bucket limits, as upstream.
        if (!target.Name.EndsWith(".emptyFolderPlaceholder", StringComparison.Ordinal))
        {
            if (body.DeclaredLength > limit)
            {
                throw StorageException.EntityTooLarge();
            }

            if (!MimeTypes.IsAllowed(body.ContentType, bucket.AllowedMimeTypes))
            {
                throw StorageException.MimeNotAllowed(body.ContentType);
            }
        }
        else
        {
            limit = services.GlobalMaxSize;
        }

        var write = new ObjectWrite(target.Bucket, target.Name, ObjectKeys.NewVersion(), owner, body.ContentType, body.CacheControl,
            body.UserMetadataJson, upsert, operation);
        await services.Objects.ProbeWriteAsync(write, body.DeclaredLength, actor, cancellationToken);

        StoredBytes stored;
        try
        {
            stored = await services.Store.PutAsync(write.StoreKey, new SizeLimitStream(body.Content, limit), body.ContentType, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.UploadFailed(services.Logger, target.Bucket, target.Name, ex.Message);
            throw;
        }

        var result = await services.Objects.FinishWriteAsync(write, stored, actor, cancellationToken);
        services.UploadedBytes.Add(stored.Size);
        return result;
    }
}
