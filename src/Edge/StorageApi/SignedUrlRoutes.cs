using System.Text.Json;
using MadBase.Edge.Auth;
using MadBase.Edge.Objects;
using Npgsql;
using NpgsqlTypes;

namespace MadBase.Edge.StorageApi;

/// <summary>
/// Signed download and upload URLs (docs/protocol/tus-and-storage.md §Signed URLs). Creating one runs the same RLS
/// check as the operation it grants; using one runs as the server, bounded to the token's <c>bucket/name</c>, scope and
/// expiry. Returned paths are <em>not</em> percent-encoded: storage-js applies <c>encodeURI</c> itself.
/// </summary>
internal static class SignedUrlRoutes
{
    /// <summary>storage-js documents hosted signed upload URLs as valid for two hours.</summary>
    private static readonly TimeSpan s_uploadUrlLifetime = TimeSpan.FromHours(2);

    private const int MaxPaths = 1000;

    public static async Task<bool> RouteSignAsync(HttpContext context, StorageServices services, string method, string rawTail)
    {
        var slash = rawTail.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            if (!HttpMethods.IsPost(method))
            {
                return false;
            }

            await SignManyAsync(context, services, StorageApiEndpoints.Decode(rawTail));
            return true;
        }

        var target = StorageApiEndpoints.Target(rawTail);
        if (HttpMethods.IsPost(method))
        {
            await SignOneAsync(context, services, target);
        }
        else
        {
            await DownloadSignedAsync(context, services, target);
        }

        return true;
    }

    public static async Task<bool> RouteUploadSignAsync(HttpContext context, StorageServices services, string method, string rawTail)
    {
        var target = StorageApiEndpoints.Target(rawTail).Validate();
        if (HttpMethods.IsPost(method))
        {
            await CreateUploadUrlAsync(context, services, target);
        }
        else
        {
            await UploadSignedAsync(context, services, target);
        }

        return true;
    }

    private static async Task SignOneAsync(HttpContext context, StorageServices services, ObjectTarget target)
    {
        var caller = services.RequireCaller(context);
        using var document = await StorageHttp.ReadJsonAsync(context);
        var expiresIn = ExpiresIn(document.RootElement);
        _ = await services.Objects.FindAsync(target.Bucket, target.Name, caller, "storage.object.sign", context.RequestAborted)
            ?? throw StorageException.ObjectNotFound();
        var url = SignedPath(services, target, expiresIn);
        await StorageHttp.WriteJsonAsync(context, 200, json =>
        {
            json.WriteStartObject();
            json.WriteString("signedURL", url);
            json.WriteEndObject();
        });
    }

    private static async Task SignManyAsync(HttpContext context, StorageServices services, string bucketId)
    {
        var caller = services.RequireCaller(context);
        using var document = await StorageHttp.ReadJsonAsync(context);
        var expiresIn = ExpiresIn(document.RootElement);
        if (!document.RootElement.TryGetProperty("paths", out var pathsElement) || pathsElement.ValueKind != JsonValueKind.Array)
        {
            throw StorageException.InvalidRequest("body must have required property 'paths'");
        }

        var paths = pathsElement.EnumerateArray().Select(p => p.GetString() ?? "").ToArray();
        if (paths.Length is 0 or > MaxPaths)
        {
            throw StorageException.InvalidRequest($"paths must hold 1 to {MaxPaths} names");
        }

        var visible = new HashSet<string>(StringComparer.Ordinal);
        await using (var scope = await StorageDb.BeginAsync(services.DataSource, caller, "storage.object.sign", context.RequestAborted))
        {
            await using var command = scope.CreateCommand("select name from storage.objects where bucket_id = $1 and name = any($2)");
            command.Parameters.Add(new NpgsqlParameter { Value = bucketId });
            command.Parameters.Add(new NpgsqlParameter { Value = paths, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
            while (await reader.ReadAsync(context.RequestAborted))
            {
                visible.Add(reader.GetString(0));
            }
        }

        await StorageHttp.WriteJsonAsync(context, 200, json =>
        {
            json.WriteStartArray();
            foreach (var path in paths)
            {
                json.WriteStartObject();
                var ok = visible.Contains(path);
                json.WriteString("error", ok ? null : "Either the object does not exist or you do not have access to it");
                json.WriteString("path", path);
                json.WriteString("signedURL", ok ? SignedPath(services, new ObjectTarget(bucketId, path), expiresIn) : null);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        });
    }

    private static async Task DownloadSignedAsync(HttpContext context, StorageServices services, ObjectTarget target)
    {
        var token = context.Request.Query["token"].ToString();
        if (!services.SignedUrls.TryValidate(token, SignedUrlTokens.DownloadScope, target.Url, out var claims, out var error))
        {
            throw StorageException.InvalidSignature(error);
        }

        Task<ObjectRecord?> Find(CancellationToken ct) => services.Objects.FindAsync(target.Bucket, target.Name, null, "storage.object.get_signed", ct);
        var row = await Find(context.RequestAborted) ?? throw StorageException.ObjectNotFound();
        await DownloadRoutes.ServeAsync(context, services, row, claims.ExpiresAt, Find);
    }

    private static async Task CreateUploadUrlAsync(HttpContext context, StorageServices services, ObjectTarget target)
    {
        var caller = services.RequireCaller(context);
        var upsert = UploadRoutes.IsTrue(context.Request.Headers["x-upsert"]);
        if (await services.Objects.GetBucketAsync(target.Bucket, context.RequestAborted) is null)
        {
            throw StorageException.BucketNotFound();
        }

        // The same permission check as a direct upload: a signed URL must not grant more than its creator has.
        var contentType = context.Request.ContentType is { Length: > 0 } type ? type : "application/octet-stream";
        var probe = new ObjectWrite(target.Bucket, target.Name, ObjectKeys.NewVersion(), caller.Subject, contentType, "no-cache", null, upsert,
            "storage.object.upload_sign");
        await services.Objects.ProbeWriteAsync(probe, context.Request.ContentLength, caller, context.RequestAborted);

        var token = services.SignedUrls.Create(SignedUrlTokens.UploadScope, target.Url, s_uploadUrlLifetime, caller.Subject, upsert);
        await StorageHttp.WriteJsonAsync(context, 200, json =>
        {
            json.WriteStartObject();
            json.WriteString("url", "/object/upload/sign/" + target.Url + "?token=" + token);
            json.WriteString("token", token);
            json.WriteEndObject();
        });
    }

    private static async Task UploadSignedAsync(HttpContext context, StorageServices services, ObjectTarget target)
    {
        var token = context.Request.Query["token"].ToString();
        if (!services.SignedUrls.TryValidate(token, SignedUrlTokens.UploadScope, target.Url, out var claims, out var error))
        {
            throw StorageException.InvalidSignature(error);
        }

        // The token's upsert wins over any x-upsert header; the owner is whoever created the URL.
        var result = await UploadRoutes.StoreAsync(context, services, target, null, claims.Owner, claims.Upsert, "storage.object.upload_signed");
        await UploadRoutes.WriteResultAsync(context, target, result);
    }

    private static string SignedPath(StorageServices services, ObjectTarget target, long expiresIn) =>
        "/object/sign/" + target.Url + "?token=" + services.SignedUrls.Create(SignedUrlTokens.DownloadScope, target.Url, TimeSpan.FromSeconds(expiresIn));

    private static long ExpiresIn(JsonElement body) =>
        body.GetInt64("expiresIn") is { } seconds && seconds >= 1 && seconds <= 10L * 365 * 24 * 3600
            ? seconds
            : throw StorageException.InvalidRequest("body/expiresIn must be an integer number of seconds ≥ 1");
}
