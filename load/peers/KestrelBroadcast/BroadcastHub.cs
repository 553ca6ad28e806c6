using System.Globalization;
using System.Net.WebSockets;

namespace MadBase.Load.Peers;

/// <summary>
/// The whole peer: a copy-on-write array of subscribers, each with a bounded queue and its own writer loop. The
/// publisher copies each message once and offers it to every queue; a full queue drops that message for that
/// subscriber (and counts it) rather than letting one slow client hold up the rest.
/// </summary>
internal sealed class BroadcastHub
{
    private readonly Lock _gate = new();
    private BroadcastSubscriber[] _subscribers = [];
    private long _published;
    private long _dropped;

    public async Task HandleAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "";
        if (path == "/stats")
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"{{\"subscribers\":{Volatile.Read(ref _subscribers).Length},\"published\":{Interlocked.Read(ref _published)},\"dropped\":{Interlocked.Read(ref _dropped)},\"gc\":\"{(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}\"}}"));
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest || (path != "/sub" && path != "/pub"))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
        if (path == "/sub")
        {
            await SubscribeAsync(socket);
        }
        else
        {
            await PublishLoopAsync(socket);
        }
    }

    private async Task SubscribeAsync(WebSocket socket)
    {
        var subscriber = new BroadcastSubscriber(socket);
        Update(list => [.. list, subscriber]);
        try
        {
            Task writer = subscriber.WriteLoopAsync();
            await subscriber.ReceiveLoopAsync();
            subscriber.Complete();
            await writer;
        }
        finally
        {
            Update(list => Array.FindAll(list, s => s != subscriber));
        }
    }

    private async Task PublishLoopAsync(WebSocket socket)
    {
        byte[] buffer = new byte[64 * 1024];
        int filled = 0;
        while (true)
        {
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            ValueWebSocketReceiveResult result = await socket.ReceiveAsync(buffer.AsMemory(filled), CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            filled += result.Count;
            if (!result.EndOfMessage)
            {
                continue;
            }

            byte[] message = buffer.AsSpan(0, filled).ToArray();
            filled = 0;
            Interlocked.Increment(ref _published);
            foreach (BroadcastSubscriber subscriber in Volatile.Read(ref _subscribers))
            {
                if (!subscriber.TryEnqueue(message))
                {
                    Interlocked.Increment(ref _dropped);
                }
            }
        }
    }

    private void Update(Func<BroadcastSubscriber[], BroadcastSubscriber[]> change)
    {
        lock (_gate)
        {
            Volatile.Write(ref _subscribers, change(_subscribers));
        }
    }
}
