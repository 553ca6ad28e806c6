namespace MadBase.Edge.Configuration;

/// <summary>
/// CORS for browsers talking to the server directly (upstream leaves this to its gateway, whose default allows any
/// origin; docs/protocol/tus-and-storage.md §CORS). <c>MADBASE_CORS_ORIGINS</c> is <c>*</c> (any origin, answered
/// with <c>*</c>) or a list of origins echoed back one at a time with <c>Vary: Origin</c>. Preflights allow every
/// header the browser asks for, as the gateway does: clients add headers (x-client-info, x-supabase-api-version, TUS
/// ones) faster than a fixed list follows them.
/// </summary>
internal sealed class CorsPolicy(IReadOnlyCollection<string>? origins)
{
    public const string AllowMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

    /// <summary>Answered when a plain OPTIONS names no headers: what storage-js and tus-js-client send.</summary>
    private const string DefaultAllowHeaders = "authorization, apikey, x-client-info, content-type, cache-control, x-upsert, x-metadata, range, "
        + "if-none-match, if-modified-since, tus-resumable, upload-length, upload-offset, upload-metadata, upload-defer-length, "
        + "upload-concat, upload-checksum, x-signature, x-http-method-override, x-requested-with, x-request-id";

    // Browsers only let scripts read response headers listed here: storage-js reads ETag and Content-*, tus-js-client
    // reads Location and Upload-* (without Location exposed a browser upload cannot even start).
    private const string ExposeHeaders = "ETag, Content-Range, Content-Length, Content-Disposition, Content-Type, Last-Modified, "
        + "Location, Upload-Offset, Upload-Length, Upload-Metadata, Upload-Defer-Length, Upload-Concat, Upload-Expires, "
        + "Tus-Resumable, Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm, Tus-Complete";

    private readonly HashSet<string>? _origins = origins is null ? null : new HashSet<string>(origins, StringComparer.OrdinalIgnoreCase);

    public static CorsPolicy AnyOrigin { get; } = new(null);

    /// <summary>The origins allowed, or null for any.</summary>
    public IReadOnlyCollection<string>? Origins => _origins;

    /// <summary>Allow-Origin and Expose-Headers for a response (again after a handler cleared the headers).</summary>
    public void AddResponseHeaders(HttpContext context)
    {
        var headers = context.Response.Headers;
        if (_origins is null)
        {
            headers.AccessControlAllowOrigin = "*";
        }
        else
        {
            headers.Vary = "Origin";
            if (context.Request.Headers.Origin is [{ } origin] && _origins.Contains(origin))
            {
                headers.AccessControlAllowOrigin = origin;
            }
        }

        headers.AccessControlExposeHeaders = ExposeHeaders;
    }

    /// <summary>
    /// What <see cref="AddResponseHeaders"/> adds to a response to a request without an Origin header (under <c>*</c>:
    /// to any request), in one place for the roads that write their heads themselves (the sendfile downloads).
    /// </summary>
    public IReadOnlyList<(string Name, string Value)> HeadersWithoutOrigin => _origins is null
        ? [("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", ExposeHeaders)]
        : [("Vary", "Origin"), ("Access-Control-Expose-Headers", ExposeHeaders)];

    /// <summary>A browser's preflight: OPTIONS carrying Origin and Access-Control-Request-Method.</summary>
    public static bool IsPreflight(HttpRequest request) =>
        HttpMethods.IsOptions(request.Method) && request.Headers.Origin.Count > 0 && request.Headers.AccessControlRequestMethod.Count > 0;

    /// <summary>
    /// 204 with the methods and headers a browser may use. A disallowed origin gets the same answer without
    /// Allow-Origin (from <see cref="AddResponseHeaders"/>), which the browser treats as a refusal.
    /// </summary>
    public static void AnswerPreflight(HttpContext context)
    {
        var headers = context.Response.Headers;
        var requested = context.Request.Headers.AccessControlRequestHeaders.ToString();
        headers.AccessControlAllowMethods = AllowMethods;
        headers.AccessControlAllowHeaders = requested.Length > 0 ? requested : DefaultAllowHeaders;
        headers.AccessControlMaxAge = "86400";
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>Reads the setting: <c>*</c>, or comma-separated <c>scheme://host[:port]</c> origins.</summary>
    public static CorsPolicy Parse(string variable, string value)
    {
        var trimmed = value.Trim();
        if (trimmed == "*")
        {
            return AnyOrigin;
        }

        var origins = new List<string>();
        foreach (var part in trimmed.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // An origin is exactly scheme://host[:port]; a path or a trailing slash would never equal a browser's Origin.
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https")
                || !string.Equals(uri.GetLeftPart(UriPartial.Authority), part, StringComparison.OrdinalIgnoreCase))
            {
                throw new ConfigurationException(variable, $"'{part}' is not an origin like https://app.example.com (or use *)");
            }

            origins.Add(part);
        }

        return origins.Count > 0 ? new CorsPolicy(origins) : throw new ConfigurationException(variable, "names no origin (use * for any)");
    }
}
