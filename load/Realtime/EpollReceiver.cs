using System.Net.Sockets;
using MadBase.Load.Net;
using MadBase.Protocol;

namespace MadBase.Load.Realtime;

/// <summary>
/// One thread reading many subscriber sockets through level-triggered epoll, with one <c>recv()</c> of up to 64 KiB
/// per ready socket into one shared buffer. This is the anchors' client design; it costs less client CPU per
/// delivery than a receive task per socket (<see cref="TaskReceiver"/>; numbers in load/README.md).
/// </summary>
/// <remarks>
/// With <c>pollMs</c> &gt; 0 the loop sleeps that long whenever a poll returns fewer events than it can take, so
/// reads are batched (the anchors' "1 ms poll", which adds at most ~1 ms to measured latency but avoids waking a
/// sleeping reader for every frame, a wakeup the loopback sender pays for). 0 blocks in epoll_wait instead.
/// </remarks>
internal sealed class EpollReceiver : IReceiver
{
    private const int ReadSize = 64 * 1024;
    private const int MaxEvents = 1024;

    private readonly int _epfd;
    private readonly Subscriber?[] _subscribers;
    private readonly Epoll.Event[] _events = new Epoll.Event[MaxEvents];
    private readonly int _pollMs;
    private readonly Thread _thread;
    private byte[] _buffer = new byte[ReadSize * 2];
    private volatile bool _stop;

    public EpollReceiver(int index, FrameSink sink, Subscriber?[] subscribers, int pollMs)
    {
        Sink = sink;
        _subscribers = subscribers;
        _pollMs = pollMs;
        _epfd = Epoll.Create();
        _thread = new Thread(Run) { IsBackground = true, Name = $"recv-{index}" };
        _thread.Start();
    }

    public FrameSink Sink { get; }

    /// <summary>
    /// Bytes that came with the handshake stay in the subscriber's carry and are parsed with its next read: every
    /// protocol here sends something more (the join reply, or the first tick) before a subscriber counts as ready.
    /// </summary>
    public void Add(Subscriber subscriber) => Epoll.Add(_epfd, subscriber.Fd, (ulong)subscriber.Id);

    public void Dispose()
    {
        _stop = true;
        _thread.Join(TimeSpan.FromSeconds(5));
        Epoll.Close(_epfd);
    }

    private void Run()
    {
        while (!_stop)
        {
            int n = Epoll.Wait(_epfd, _events, _pollMs > 0 ? 0 : 50);
            for (int i = 0; i < n; i++)
            {
                Subscriber? subscriber = _subscribers[(int)_events[i].Data];
                if (subscriber is { Closed: false })
                {
                    Read(subscriber);
                }
            }

            if (_pollMs > 0 && n < MaxEvents)
            {
                Thread.Sleep(_pollMs);
            }
        }
    }

    private void Read(Subscriber subscriber)
    {
        int carry = subscriber.CarryLength;
        if (_buffer.Length < carry + ReadSize)
        {
            _buffer = new byte[carry + ReadSize];
        }

        subscriber.Carry.AsSpan(0, carry).CopyTo(_buffer);
        int n = subscriber.Socket.Receive(_buffer.AsSpan(carry, ReadSize), SocketFlags.None, out SocketError error);
        if (error != SocketError.Success || n == 0)
        {
            Drop(subscriber, error == SocketError.Success ? null : $"receive: {error}");
            return;
        }

        int total = carry + n;
        int consumed;
        try
        {
            consumed = Sink.Parse(subscriber, _buffer.AsSpan(0, total), Clock.NowMicros());
        }
        catch (ProtocolException e)
        {
            Drop(subscriber, $"protocol: {e.Reason} {e.Message}");
            return;
        }

        if (subscriber.Closed)
        {
            return; // closed while parsing (a server Close): closing the fd already removed it from the epoll set
        }

        int left = total - consumed;
        if (subscriber.Carry.Length < left)
        {
            subscriber.Carry = new byte[Math.Max(left, 256)];
        }

        _buffer.AsSpan(consumed, left).CopyTo(subscriber.Carry);
        subscriber.CarryLength = left;
    }

    private void Drop(Subscriber subscriber, string? reason)
    {
        Epoll.Remove(_epfd, subscriber.Fd);
        Sink.Dropped(subscriber, reason);
    }
}
