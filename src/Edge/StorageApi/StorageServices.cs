using MadBase.Edge.Auth;
using MadBase.Edge.Configuration;
using MadBase.Edge.Diagnostics;
using MadBase.Edge.Objects;
using Npgsql;

namespace MadBase.Edge.StorageApi;

/// <summary>What every storage route needs, resolved once at startup instead of per request.</summary>
internal sealed class StorageServices(
    ObjectsRepository objects,
    Jwt jwt,
    SignedUrlTokens signedUrls,
    EdgeOptions options,
    CorsPolicy cors,
    TimeProvider time,
    EdgeMetrics metrics,
    ILogger<StorageServices> logger)
{
    public Counter UploadedBytes { get; } = metrics.Counter("madbase_storage_uploaded_bytes_total", "Object bytes stored by REST uploads.");

    public Counter DownloadedBytes { get; } = metrics.Counter("madbase_storage_downloaded_bytes_total", "Object bytes sent by downloads.");

    public Counter Refusals { get; } = metrics.Counter("madbase_storage_refusals_total", "Storage requests refused with a client error (limits, RLS, missing objects).");

    public ObjectsRepository Objects => objects;

    public IObjectStore Store => objects.Store;

    public NpgsqlDataSource DataSource => objects.DataSource;

    public SignedUrlTokens SignedUrls => signedUrls;

    public TimeProvider Time => time;

    public CorsPolicy Cors => cors;

    public ILogger Logger => logger;

    /// <summary>The server-wide upload cap; a bucket's <c>file_size_limit</c> can only lower it.</summary>
    public long GlobalMaxSize => options.UploadMaxSize;

    /// <summary>
    /// The caller's verified claims. The token is <c>Authorization: Bearer</c>, or the <c>apikey</c> header when
    /// there is no Authorization (what Supabase's gateway accepts). Throws 403 (in a 400, as upstream) when absent or invalid.
    /// </summary>
    public JwtClaims RequireCaller(HttpContext context) =>
        TryGetCaller(context, out var claims, out var error) ? claims! : throw StorageException.Unauthorized(error);

    /// <summary>For routes that also serve public buckets anonymously: no or an invalid token is simply "not authenticated".</summary>
    public JwtClaims? OptionalCaller(HttpContext context) => TryGetCaller(context, out var claims, out _) ? claims : null;

    private bool TryGetCaller(HttpContext context, out JwtClaims? claims, out string error)
    {
        claims = null;
        string? token = null;
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = authorization["Bearer ".Length..].Trim();
        }
        else if (context.Request.Headers.TryGetValue("apikey", out var apikey))
        {
            token = apikey.ToString();
        }

        if (string.IsNullOrEmpty(token))
        {
            error = StorageException.MissingTokenMessage;
            return false;
        }

        if (!jwt.TryValidate(token, out var valid, out error))
        {
            error = "invalid JWT: " + error;
            return false;
        }

        claims = valid;
        return true;
    }
}
