using MadBase.Edge.Json;
using MadBase.Edge.Logging;
using MadBase.Edge.WebSockets;
using MadBase.Protocol.Phoenix;
using MadBase.Protocol.WebSockets;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace MadBase.Edge.Realtime;

/// <summary>
/// <c>GET /realtime/v1/websocket</c> (and upstream's <c>/socket/websocket</c>): checks the RFC 6455 opening
/// handshake and the key through plain HTTP, refuses with a status before upgrading, then answers 101 through
/// <see cref="IHttpUpgradeFeature"/> and runs our own framing on the raw stream.
/// </summary>
internal static class RealtimeEndpoint
{
    public static async Task HandleAsync(HttpContext context, RealtimeHub hub)
    {
        var request = context.Request;
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is null || !upgrade.IsUpgradableRequest || !HasToken(request.Headers.Upgrade, "websocket") || !HasToken(request.Headers.Connection, "upgrade"))
        {
            await RefuseAsync(context, hub, StatusCodes.Status426UpgradeRequired, "upgrade_required", "Expected a WebSocket upgrade (Upgrade: websocket, Connection: Upgrade).");
            return;
        }

        if (request.Headers.SecWebSocketVersion.ToString() != "13")
        {
            context.Response.Headers.SecWebSocketVersion = "13";
            await RefuseAsync(context, hub, StatusCodes.Status426UpgradeRequired, "unsupported_version", "Only Sec-WebSocket-Version 13 is supported.");
            return;
        }

        var key = request.Headers.SecWebSocketKey.ToString();
        Span<char> accept = stackalloc char[WebSocketHandshake.AcceptLength];
        if (!WebSocketHandshake.TryComputeAccept(key, accept))
        {
            await RefuseAsync(context, hub, StatusCodes.Status400BadRequest, "bad_request", "Sec-WebSocket-Key must be the base64 encoding of 16 bytes.");
            return;
        }

        if (!PhoenixVsn.TryParse(request.Query["vsn"].ToString(), out var version))
        {
            await RefuseAsync(context, hub, StatusCodes.Status400BadRequest, "bad_request", "vsn must be 1.0.x or 2.0.x.");
            return;
        }

        // Upstream reads x-api-key first, then the apikey query parameter (realtime.md §1.1).
        var token = request.Headers["x-api-key"].ToString();
        if (token.Length == 0)
        {
            token = request.Query["apikey"].ToString();
        }

        if (!hub.Jwt.TryValidate(token, out var claims, out var problem))
        {
            await RefuseAsync(context, hub, StatusCodes.Status401Unauthorized, "unauthorized", problem);
            return;
        }

        if (hub.IsStopping)
        {
            await RefuseAsync(context, hub, StatusCodes.Status503ServiceUnavailable, "shutting_down", "The server is shutting down.");
            return;
        }

        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers.SecWebSocketAccept = new string(accept);
        var stream = await upgrade.UpgradeAsync();
        hub.SocketMetrics.Accepted.Increment();
        var connection = new WebSocketConnection(stream, context.Abort, hub.Limits, hub.Time, hub.Logger, hub.SocketMetrics);
        var session = new RealtimeSession(hub, connection, version, claims, token);
        hub.Register(session);
        if (hub.IsStopping)
        {
            connection.Close(WebSocketCloseStatus.GoingAway, "server shutting down"); // lost the race with CloseAll
        }

        Log.SocketOpened(hub.Logger, version == PhoenixVersion.V2 ? "2.0.0" : "1.0.0", claims.Role);
        await connection.RunAsync(session);
    }

    private static Task RefuseAsync(HttpContext context, RealtimeHub hub, int status, string error, string message)
    {
        hub.SocketMetrics.Refused.Increment();
        Log.UpgradeRefused(hub.Logger, status, message);
        return Results.Json(new ErrorResponse(status.ToString(System.Globalization.CultureInfo.InvariantCulture), error, message), EdgeJsonContext.Default.ErrorResponse, statusCode: status)
            .ExecuteAsync(context);
    }

    /// <summary>Whether a comma-separated header (any of its values) contains <paramref name="token"/>, ignoring case.</summary>
    private static bool HasToken(StringValues values, string token)
    {
        foreach (var value in values)
        {
            foreach (var part in (value ?? "").Split(','))
            {
                if (part.Trim().Equals(token, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
