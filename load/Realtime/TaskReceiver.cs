using System.Net.Sockets;
using MadBase.Protocol;

namespace MadBase.Load.Realtime;

/// <summary>
/// The straightforward alternative to <see cref="EpollReceiver"/>: one async receive loop per socket on the thread
/// pool (.NET's own epoll engine underneath). Kept as <c>--receiver tasks</c> so the client's cost per delivery
/// can be compared on the same run; it is not the default because it costs more client CPU (load/README.md).
/// </summary>
internal sealed class TaskReceiver(FrameSink sink) : IReceiver
{
    /// <summary>Per-socket buffer: each connection needs its own, unlike the epoll thread's single shared one.</summary>
    private const int ReadSize = 4096;

    private readonly CancellationTokenSource _stop = new();

    public FrameSink Sink { get; } = sink;

    public void Add(Subscriber subscriber) => _ = Task.Run(() => ReceiveAsync(subscriber));

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    private async Task ReceiveAsync(Subscriber subscriber)
    {
        byte[] buffer = new byte[Math.Max(ReadSize, subscriber.CarryLength * 2)];
        subscriber.Carry.AsSpan(0, subscriber.CarryLength).CopyTo(buffer);
        int filled = subscriber.CarryLength;
        subscriber.CarryLength = 0;
        CancellationToken stop = _stop.Token;
        try
        {
            while (!subscriber.Closed)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                int n = await subscriber.Socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, stop);
                if (n == 0)
                {
                    Sink.Dropped(subscriber, null);
                    return;
                }

                filled += n;
                int consumed = Sink.Parse(subscriber, buffer.AsSpan(0, filled), Clock.NowMicros());
                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;
            }
        }
        catch (OperationCanceledException)
        {
            // The pool is shutting down.
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or ProtocolException)
        {
            if (!subscriber.Closed)
            {
                Sink.Dropped(subscriber, $"receive: {e.Message}");
            }
        }
    }
}
