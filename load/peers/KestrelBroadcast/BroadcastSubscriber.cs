using System.Net.WebSockets;
using System.Threading.Channels;

namespace MadBase.Load.Peers;

/// <summary>One /sub connection: a bounded queue drained by a writer loop, and a receive loop that only watches for close.</summary>
internal sealed class BroadcastSubscriber(WebSocket socket)
{
    /// <summary>About 200 KiB of 200-byte messages, the same bound the Node peer applies through bufferedAmount.</summary>
    private const int QueueCapacity = 1000;

    private readonly Channel<byte[]> _queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(QueueCapacity)
    {
        SingleReader = true,
        SingleWriter = false,
        FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of evicting: the publisher counts a drop
    });

    public bool TryEnqueue(byte[] message) => _queue.Writer.TryWrite(message);

    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>
    /// Sends queued messages one frame each. Kestrel's output pipe merges frames written while a send is in flight,
    /// which is the write coalescing the anchors credit for its throughput under backlog.
    /// </summary>
    public async Task WriteLoopAsync()
    {
        ChannelReader<byte[]> reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out byte[]? message))
                {
                    await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                }
            }
        }
        catch (WebSocketException)
        {
            // The client went away mid-send; the receive loop ends the connection.
        }
    }

    public async Task ReceiveLoopAsync()
    {
        byte[] buffer = new byte[1024];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return;
                }
            }
        }
        catch (WebSocketException)
        {
            // Abortive client close (the load driver resets its sockets): nothing left to do.
        }
    }
}
