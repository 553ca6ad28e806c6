using MadBase.Edge.Json;
using MadBase.Edge.WebSockets.Pipe;
using Microsoft.AspNetCore.Http.Features;

namespace MadBase.Edge.Realtime.Sockets;

/// <summary>
/// <c>GET /realtime/v1/websocket</c> (and upstream's <c>/socket/websocket</c>) through Kestrel's HTTP layer. Most
/// sockets never get here: <see cref="RealtimeConnectionMiddleware"/> answers the handshake of a connection whose
/// first request is the upgrade. This endpoint serves an upgrade that arrives later on a keep-alive connection: the
/// same checks, 101 through <see cref="IHttpUpgradeFeature"/>, and our own framing on the raw stream (at the cost of
/// the HTTP connection state Kestrel keeps for it).
/// </summary>
internal static class RealtimeEndpoint
{
    public static async Task HandleAsync(HttpContext context, RealtimeHub hub)
    {
        var request = context.Request;
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();

        // Upstream reads x-api-key first, then the apikey query parameter (docs/protocol/realtime.md §Connecting).
        var token = request.Headers["x-api-key"].ToString();
        if (token.Length == 0)
        {
            token = request.Query["apikey"].ToString();
        }

        if (!RealtimeHandshake.TryAccept(
                hub,
                upgrade is { IsUpgradableRequest: true },
                request.Headers.Upgrade.ToString(),
                request.Headers.Connection.ToString(),
                request.Headers.SecWebSocketVersion.ToString(),
                request.Headers.SecWebSocketKey.ToString(),
                request.Query["vsn"].ToString(),
                token,
                out var accepted,
                out var refusal))
        {
            if (refusal.AdvertiseVersion)
            {
                context.Response.Headers.SecWebSocketVersion = "13";
            }

            await Results.Json(new ErrorResponse(refusal.Status.ToString(System.Globalization.CultureInfo.InvariantCulture), refusal.Error, refusal.Message), EdgeJsonContext.Default.ErrorResponse, statusCode: refusal.Status)
                .ExecuteAsync(context);
            return;
        }

        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers.SecWebSocketAccept = accepted.Accept;
        var stream = await upgrade!.UpgradeAsync();
        var connection = PipeWebSocketConnection.OverStream(stream, context.Abort, hub.Limits, hub.Time, hub.Logger, hub.SocketMetrics);
        await RealtimeHandshake.RunSessionAsync(hub, connection, accepted);
    }
}
