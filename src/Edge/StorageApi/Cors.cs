namespace MadBase.Edge.StorageApi;

/// <summary>
/// CORS for browsers talking to the server directly (upstream leaves this to its gateway;
/// docs/protocol/tus-and-storage.md §CORS): any origin, the headers storage-js and tus clients send, and the response
/// headers they read.
/// </summary>
internal static class Cors
{
    private const string AllowHeaders = "authorization, apikey, x-client-info, content-type, cache-control, x-upsert, x-metadata, range, "
        + "if-none-match, if-modified-since, tus-resumable, upload-length, upload-offset, upload-metadata, upload-defer-length, "
        + "upload-concat, x-signature, x-http-method-override, x-request-id";

    private const string ExposeHeaders = "ETag, Content-Range, Content-Length, Content-Disposition, Content-Type, Last-Modified, "
        + "Location, Upload-Offset, Upload-Length, Upload-Metadata, Upload-Expires, Tus-Resumable, Tus-Version, Tus-Extension, Tus-Max-Size";

    public static void AddResponseHeaders(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.AccessControlAllowOrigin = "*";
        headers.AccessControlExposeHeaders = ExposeHeaders;
    }

    public static void AnswerPreflight(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.AccessControlAllowMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
        headers.AccessControlAllowHeaders = AllowHeaders;
        headers.AccessControlMaxAge = "86400";
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }
}
