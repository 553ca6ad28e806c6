namespace MadBase.Edge.Hosting;

/// <summary>
/// Applies <see cref="CorsPolicy"/> to every HTTP response and answers browsers' preflights before routing does, so
/// routes mapped for POST only (the realtime broadcast API) are reachable from a page on another origin too.
/// Realtime sockets never pass here: browsers send no preflight for a WebSocket.
/// </summary>
internal sealed class CorsMiddleware(RequestDelegate next, CorsPolicy policy)
{
    public Task InvokeAsync(HttpContext context)
    {
        policy.AddResponseHeaders(context);
        if (CorsPolicy.IsPreflight(context.Request))
        {
            CorsPolicy.AnswerPreflight(context);
            return Task.CompletedTask;
        }

        return next(context);
    }
}
