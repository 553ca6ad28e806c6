using MadBase.Edge.Auth;
using MadBase.Edge.Objects;
using Microsoft.AspNetCore.Http.Features;

namespace MadBase.Edge.StorageApi;

/// <summary>
/// Supabase Storage's REST API under <c>/storage/v1</c> (docs/protocol/tus-and-storage.md §REST routes). One catch-all
/// endpoint routes by hand over the <em>raw</em> request target, because object names are the percent-decoded remainder
/// of the path: the framework's decoded path keeps <c>%2F</c> and normalises <c>..</c> segments away, and both must be
/// seen as sent. TUS routes (<c>/storage/v1/upload/resumable…</c>) are mapped separately and win by being more
/// specific.
/// </summary>
internal static class StorageApiEndpoints
{
    public const string BasePath = "/storage/v1/";

    public static IServiceCollection AddStorage(this IServiceCollection services, EdgeOptions options)
    {
        services.AddObjects(options);
        services.AddSingleton(sp => new SignedUrlTokens(options.JwtSecret, sp.GetRequiredService<Jwt>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<StorageServices>();
        return services;
    }

    public static void MapStorageApi(this WebApplication app)
    {
        var services = app.Services.GetRequiredService<StorageServices>();
        app.Map("/storage/v1/{**rest}", context => DispatchAsync(context, services));
    }

    private static async Task DispatchAsync(HttpContext context, StorageServices services)
    {
        // CORS headers come from CorsMiddleware; a plain OPTIONS (no preflight) still gets the methods and headers.
        var method = context.Request.Method;
        if (HttpMethods.IsOptions(method))
        {
            CorsPolicy.AnswerPreflight(context);
            return;
        }

        var rest = RawRest(context);
        try
        {
            if (!await RouteAsync(context, services, method, rest))
            {
                context.Response.StatusCode = 404;
                await StorageHttp.WriteJsonAsync(context, 404, json =>
                {
                    json.WriteStartObject();
                    json.WriteString("statusCode", "404");
                    json.WriteString("error", "Not Found");
                    json.WriteString("message", $"Route {method}:{context.Request.Path} not found");
                    json.WriteString("code", "InvalidRequest");
                    json.WriteEndObject();
                });
            }
        }
        catch (StorageException ex) when (!context.Response.HasStarted)
        {
            Log.StorageRequestRefused(services.Logger, method, context.Request.Path, ex.Status, ex.Message);
            services.Refusals.Increment();
            ResetForError(context, services);
            await StorageHttp.WriteErrorAsync(context, ex, realStatus: ex.Code == "AccessDenied" && ex.Message == StorageException.InvalidRoleMessage);
        }
        catch (Npgsql.NpgsqlException ex) when (ex.IsTransient && !context.Response.HasStarted)
        {
            Log.StorageRequestRefused(services.Logger, method, context.Request.Path, 503, ex.Message);
            ResetForError(context, services);
            context.Response.Headers.RetryAfter = "5";
            await StorageHttp.WriteErrorAsync(context, StorageException.DatabaseUnavailable(), realStatus: true);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            var error = ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? StorageException.EntityTooLarge()
                : StorageException.InvalidRequest(ex.Message);
            ResetForError(context, services);
            await StorageHttp.WriteErrorAsync(context, error);
        }
    }

    /// <summary>A download may have set Content-Length, ETag or Content-Range before failing; none of them describe the error body.</summary>
    private static void ResetForError(HttpContext context, StorageServices services)
    {
        context.Response.Clear();
        services.Cors.AddResponseHeaders(context);
    }

    private static async Task<bool> RouteAsync(HttpContext context, StorageServices services, string method, string rest)
    {
        var (head, tail) = Split(rest);
        if (head == "bucket")
        {
            return await BucketRoutes.RouteAsync(context, services, method, tail);
        }

        if (head != "object" || tail is null)
        {
            return false;
        }

        var (first, afterFirst) = Split(tail);
        switch (first)
        {
            case "list" when HttpMethods.IsPost(method) && afterFirst is not null:
                await ListRoute.ListAsync(context, services, Decode(afterFirst));
                return true;
            case "list-v2" when HttpMethods.IsPost(method) && afterFirst is not null:
                await ListV2Route.ListAsync(context, services, Decode(afterFirst));
                return true;
            case "move" when HttpMethods.IsPost(method) && afterFirst is null:
                await MoveCopyRoutes.MoveAsync(context, services);
                return true;
            case "copy" when HttpMethods.IsPost(method) && afterFirst is null:
                await MoveCopyRoutes.CopyAsync(context, services);
                return true;
            case "sign" when afterFirst is not null && (HttpMethods.IsPost(method) || HttpMethods.IsGet(method) || HttpMethods.IsHead(method)):
                return await SignedUrlRoutes.RouteSignAsync(context, services, method, afterFirst);
            case "upload" when afterFirst is not null && afterFirst.StartsWith("sign/", StringComparison.Ordinal)
                                && (HttpMethods.IsPost(method) || HttpMethods.IsPut(method)):
                return await SignedUrlRoutes.RouteUploadSignAsync(context, services, method, afterFirst["sign/".Length..]);
            case "authenticated" when afterFirst is not null && (HttpMethods.IsGet(method) || HttpMethods.IsHead(method)):
                await DownloadRoutes.AuthenticatedAsync(context, services, Target(afterFirst), required: true);
                return true;
            case "public" when afterFirst is not null && (HttpMethods.IsGet(method) || HttpMethods.IsHead(method)):
                await DownloadRoutes.PublicAsync(context, services, Target(afterFirst));
                return true;
            case "info" when afterFirst is not null && HttpMethods.IsGet(method):
                await InfoRoute.RouteAsync(context, services, afterFirst);
                return true;
        }

        var bucket = Decode(first);
        if (afterFirst is null)
        {
            if (HttpMethods.IsDelete(method))
            {
                await DeleteRoutes.DeleteManyAsync(context, services, bucket);
                return true;
            }

            return false;
        }

        var target = new ObjectTarget(bucket, Decode(afterFirst));
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method))
        {
            await DownloadRoutes.AuthenticatedAsync(context, services, target, required: false);
        }
        else if (HttpMethods.IsPost(method) || HttpMethods.IsPut(method))
        {
            await UploadRoutes.UploadAsync(context, services, target, forceUpsert: HttpMethods.IsPut(method));
        }
        else if (HttpMethods.IsDelete(method))
        {
            await DeleteRoutes.DeleteOneAsync(context, services, target);
        }
        else
        {
            return false;
        }

        return true;
    }

    /// <summary>"B/P…" → bucket B and the decoded object name P….</summary>
    public static ObjectTarget Target(string raw)
    {
        var (bucket, name) = Split(raw);
        return new ObjectTarget(Decode(bucket), name is null ? "" : Decode(name));
    }

    public static string Decode(string raw) => Uri.UnescapeDataString(raw);

    private static (string Head, string? Tail) Split(string path)
    {
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (path, null) : (path[..slash], path[(slash + 1)..]);
    }

    /// <summary>The raw (still percent-encoded) path after <c>/storage/v1/</c>, without the query.</summary>
    private static string RawRest(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
        var query = raw.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            raw = raw[..query];
        }

        var start = raw.IndexOf(BasePath, StringComparison.Ordinal);
        return start < 0 ? "" : raw[(start + BasePath.Length)..];
    }
}

/// <summary>A bucket and an object name as the client addressed them (validated by the route that uses them).</summary>
internal readonly record struct ObjectTarget(string Bucket, string Name)
{
    public string Url => Bucket + "/" + Name;

    /// <summary>Throws 400 InvalidBucketName / InvalidKey unless both parts are acceptable.</summary>
    public ObjectTarget Validate()
    {
        if (!ObjectKeys.IsValidBucketName(Bucket))
        {
            throw StorageException.InvalidBucketName();
        }

        if (ObjectKeys.ValidateName(Name) is not null)
        {
            throw StorageException.InvalidKey(Name);
        }

        return this;
    }
}
