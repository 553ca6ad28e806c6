using System.Buffers;
using System.IO.Pipelines;
using MadBase.Edge.WebSockets.Pipe;
using MadBase.Protocol;
using MadBase.Protocol.Http;
using Microsoft.AspNetCore.Connections;

namespace MadBase.Edge.Realtime.Sockets;

/// <summary>
/// Kestrel connection middleware that serves realtime sockets below the HTTP layer. It looks at the first bytes of
/// every new connection: a request line for <c>GET /realtime/v1/websocket</c> or <c>GET /socket/websocket</c> is
/// claimed, its head parsed by <see cref="HttpUpgradeRequestReader"/>, answered with 101 (or the refusal) and the
/// WebSocket runs on the transport pipes themselves. Anything else is handed to Kestrel's HTTP/1.1 handling with
/// nothing consumed.
/// </summary>
/// <remarks>
/// Why: an upgrade through Kestrel's HTTP layer keeps that connection's HTTP/1.1 state (request and response
/// objects, header collections, the upgraded stream and its adapters) for the socket's whole life: about 25 KiB per
/// idle socket measured here, against a few KiB for the transport pipes alone.
/// </remarks>
internal static class RealtimeConnectionMiddleware
{
    /// <summary>For <c>ListenOptions.Use</c>: the hub is resolved when Kestrel builds the pipeline, after the host is built.</summary>
    public static Func<ConnectionDelegate, ConnectionDelegate> Create(Func<IServiceProvider> services) =>
        next =>
        {
            var hub = services().GetRequiredService<RealtimeHub>();
            return connection => OnConnectedAsync(connection, next, hub);
        };

    private static async Task OnConnectedAsync(ConnectionContext connection, ConnectionDelegate next, RealtimeHub hub)
    {
        bool realtime;
        AcceptedHandshake? accepted = null;
        try
        {
            realtime = await IsRealtimeRequestAsync(connection.Transport.Input);

            // Kept out of this method's state machine: the request head, its query and the strings parsed from them
            // would otherwise stay alive for the socket's whole life.
            if (realtime)
            {
                accepted = await HandshakeAsync(connection.Transport, hub);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            return; // reset or aborted before or during the handshake: nothing to answer, nothing to log as an error
        }

        if (!realtime)
        {
            await next(connection);
            return;
        }

        if (accepted is not null)
        {
            var socket = new PipeWebSocketConnection(connection.Transport.Input, connection.Transport.Output, connection.Abort, hub.Limits, hub.Time, hub.Logger, hub.SocketMetrics);
            await RealtimeHandshake.RunSessionAsync(hub, socket, accepted);
        }
    }

    /// <summary>Reads and checks the head, then writes the 101 (returns the handshake) or the refusal (returns null).</summary>
    private static async Task<AcceptedHandshake?> HandshakeAsync(IDuplexPipe transport, RealtimeHub hub)
    {
        HttpUpgradeRequest? request;
        try
        {
            request = await ReadHeadAsync(transport.Input);
        }
        catch (ProtocolException ex) when (ex.Reason is HttpHeadError error)
        {
            await RefuseAsync(transport.Output, RealtimeHandshake.BadHead(error, ex.Message));
            return null;
        }
        catch (OperationCanceledException)
        {
            return null; // the head did not arrive in time: drop the connection, as Kestrel does
        }

        if (request is null)
        {
            return null; // the client went away mid-head
        }

        if (!RealtimeHandshake.TryAccept(hub, request, out var accepted, out var refusal))
        {
            await RefuseAsync(transport.Output, refusal);
            return null;
        }

        var response = transport.Output.GetSpan(RealtimeHandshake.SwitchingProtocolsLength);
        RealtimeHandshake.WriteSwitchingProtocols(accepted.Accept, response);
        transport.Output.Advance(RealtimeHandshake.SwitchingProtocolsLength);
        return (await transport.Output.FlushAsync()).IsCompleted ? null : accepted;
    }

    /// <summary>
    /// Waits for enough of the first request line to tell. Leaves every byte unconsumed and unexamined, so the
    /// next reader (ours or Kestrel's) sees the same bytes at once.
    /// </summary>
    private static async ValueTask<bool> IsRealtimeRequestAsync(PipeReader input)
    {
        using var timeout = new CancellationTokenSource(RealtimeHandshake.SniffTimeout);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                return false; // silent so far: Kestrel's keep-alive and header timeouts take it from here
            }

            var buffer = result.Buffer;
            var match = RealtimeHandshake.MatchRequestLine(buffer);
            if (match == HttpRequestLineMatch.NeedMore && !result.IsCompleted)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            input.AdvanceTo(buffer.Start);
            return match == HttpRequestLineMatch.Match;
        }
    }

    /// <returns>The parsed head, or null when the connection ended before it was complete.</returns>
    private static async ValueTask<HttpUpgradeRequest?> ReadHeadAsync(PipeReader input)
    {
        using var timeout = new CancellationTokenSource(RealtimeHandshake.HeadTimeout);
        while (true)
        {
            var result = await input.ReadAsync(timeout.Token);
            var buffer = result.Buffer;
            if (HttpUpgradeRequestReader.TryRead(buffer, RealtimeHandshake.MaxHeadBytes, out var request, out var end))
            {
                input.AdvanceTo(end); // bytes after the head (a client's first frames) stay for the WebSocket reader
                return request;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    /// <summary>The refusal as a complete HTTP/1.1 response with Supabase's JSON error body; the connection then closes.</summary>
    private static async Task RefuseAsync(PipeWriter output, HandshakeRefusal refusal)
    {
        output.Write(RealtimeHandshake.RefusalResponse(refusal));
        await output.FlushAsync();
    }
}
