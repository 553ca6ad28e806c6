namespace MadBase.Edge.Realtime.Sockets;

/// <summary>
/// The realtime front door's routes: <c>app.MapRealtime()</c> maps the WebSocket upgrade paths (for sockets that arrive
/// as an HTTP upgrade rather than through the epoll listener) and the REST broadcast API.
/// </summary>
internal static class RealtimeRoutes
{
    public static WebApplication MapRealtime(this WebApplication app)
    {
        var hub = app.Services.GetRequiredService<RealtimeHub>();
        app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(hub.CloseAll);

        // Not an (HttpContext) lambda returning Task only: MapGet with a RequestDelegate keeps it a raw endpoint.
        RequestDelegate handler = context => RealtimeEndpoint.HandleAsync(context, hub);
        app.MapGet("/realtime/v1/websocket", handler);
        app.MapGet("/socket/websocket", handler);
        app.MapBroadcastApi(hub);
        return app;
    }
}
