using MadBase.Edge.Auth;
using MadBase.Edge.Diagnostics;
using MadBase.Edge.Objects;
using Npgsql;

namespace MadBase.Edge.StorageApi;

/// <summary>What every storage route needs, resolved once at startup instead of per request.</summary>
internal sealed class StorageServices(
    ObjectsRepository objects,
    Jwt jwt,
    ApiKeys apiKeys,
    SignedUrlTokens signedUrls,
    EdgeOptions options,
    CorsPolicy cors,
    TimeProvider time,
    EdgeMetrics metrics,
    ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("MadBase.Edge.StorageApi.StorageServices");

    public Counter UploadedBytes { get; } = metrics.Counter("madbase_storage_uploaded_bytes_total", "Object bytes stored by REST uploads.");

    public Counter DownloadedBytes { get; } = metrics.Counter("madbase_storage_downloaded_bytes_total", "Object bytes sent by downloads.");

    public Counter Refusals { get; } = metrics.Counter("madbase_storage_refusals_total", "Storage requests refused with a client error (limits, RLS, missing objects).");

    public ObjectsRepository Objects => objects;

    public IObjectStore Store => objects.Store;

    public NpgsqlDataSource DataSource => objects.DataSource;

    public SignedUrlTokens SignedUrls => signedUrls;

    public TimeProvider Time => time;

    public CorsPolicy Cors => cors;

    public ILogger Logger => _logger;

    /// <summary>The server-wide upload cap; a bucket's <c>file_size_limit</c> can only lower it.</summary>
    public long GlobalMaxSize => options.UploadMaxSize;

    /// <summary>
    /// The caller's verified claims: <c>Authorization: Bearer</c> with a JWT, else the <c>apikey</c> header — a JWT or
    /// one of the node's <c>sb_…</c> keys — as Supabase's gateway decides (<see cref="Credentials.CheckRequest"/>).
    /// Throws 403 (in a 400, as upstream) when absent or invalid.
    /// </summary>
    public JwtClaims RequireCaller(HttpContext context) =>
        TryGetCaller(context, out var claims, out var error) ? claims! : throw StorageException.Unauthorized(error);

    /// <summary>For routes that also serve public buckets anonymously: no or an invalid token is simply "not authenticated".</summary>
    public JwtClaims? OptionalCaller(HttpContext context) => TryGetCaller(context, out var claims, out _) ? claims : null;

    private bool TryGetCaller(HttpContext context, out JwtClaims? claims, out string error)
    {
        var headers = context.Request.Headers;
        switch (Credentials.CheckRequest(jwt, apiKeys, headers.Authorization.ToString(), headers["apikey"].ToString(), out var valid, out error))
        {
            case CredentialCheck.Valid:
                claims = valid;
                return true;
            case CredentialCheck.InvalidToken:
                claims = null;
                error = "invalid JWT: " + error;
                return false;
            default:
                // Nothing usable, or an sb_ key the node does not have: upstream's gateway then hands Storage no JWT
                // (or the key itself), and Storage's JWT library answers with this text.
                claims = null;
                error = StorageException.MissingTokenMessage;
                return false;
        }
    }
}
