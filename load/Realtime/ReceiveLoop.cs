using System.Buffers;
using System.Net.Sockets;
using HdrHistogram;
using MadBase.Load.Net;
using MadBase.Protocol;
using MadBase.Protocol.WebSockets;

namespace MadBase.Load.Realtime;

/// <summary>
/// One thread reading many subscriber sockets through level-triggered epoll, with one <c>recv()</c> of up to 64 KiB
/// per ready socket and our own frame decoder. This is the anchors' client design: a task or thread per socket
/// would cost more CPU per delivery than the servers under test spend sending it.
/// </summary>
/// <remarks>
/// With <c>pollMs</c> &gt; 0 the loop sleeps that long whenever a poll returns fewer events than it can take, so
/// reads are batched (the anchors' "1 ms poll", which adds at most ~1 ms to measured latency but avoids waking a
/// sleeping reader for every frame, a wakeup the loopback sender pays for). 0 blocks in epoll_wait instead.
/// </remarks>
internal sealed class ReceiveLoop : IDisposable
{
    private const int ReadSize = 64 * 1024;
    private const int MaxEvents = 1024;

    /// <summary>Far above any server frame in these scenarios; a larger one means a broken stream.</summary>
    private const long MaxFrameBytes = 16 * 1024 * 1024;

    /// <summary>Latency range: 1 µs to 1 hour, 3 significant digits.</summary>
    private const long MaxLatencyMicros = 3_600_000_000;

    private readonly int _epfd;
    private readonly ISubscriberProtocol _protocol;
    private readonly Subscriber?[] _subscribers;
    private readonly Recorder _latency = new(1, MaxLatencyMicros, 3, (id, low, high, digits) => new LongHistogram(id, low, high, digits));
    private readonly Epoll.Event[] _events = new Epoll.Event[MaxEvents];
    private readonly int _pollMs;
    private readonly Thread _thread;
    private byte[] _buffer = new byte[ReadSize * 2];
    private volatile bool _stop;
    private long _acceptFromSeq;

    private long _ticks;
    private long _late;
    private long _subscribed;
    private long _refused;
    private long _closed;
    private long _errors;
    private long _pings;
    private long _lastTickMicros;

    public ReceiveLoop(int index, ISubscriberProtocol protocol, Subscriber?[] subscribers, int pollMs)
    {
        _protocol = protocol;
        _subscribers = subscribers;
        _pollMs = pollMs;
        _epfd = Epoll.Create();
        _thread = new Thread(Run) { IsBackground = true, Name = $"recv-{index}" };
        _thread.Start();
    }

    /// <summary>The first error that stopped a connection, for the report.</summary>
    public string? FirstError { get; private set; }

    /// <summary>Ticks with a lower sequence belong to an earlier step (a late straggler) and are not recorded.</summary>
    public long AcceptFromSeq
    {
        get => Volatile.Read(ref _acceptFromSeq);
        set => Volatile.Write(ref _acceptFromSeq, value);
    }

    /// <summary>
    /// Starts watching <paramref name="subscriber"/>, which must already be in the shared table. Bytes that came with
    /// the handshake stay in its carry and are parsed with the next read: every protocol here sends something more
    /// (the join reply, or the first tick) before a subscriber is counted as ready.
    /// </summary>
    public void Add(Subscriber subscriber) => Epoll.Add(_epfd, subscriber.Fd, (ulong)subscriber.Id);

    public LoopCounters Counters => new(
        Volatile.Read(ref _ticks),
        Volatile.Read(ref _late),
        Volatile.Read(ref _subscribed),
        Volatile.Read(ref _refused),
        Volatile.Read(ref _closed),
        Volatile.Read(ref _errors),
        Volatile.Read(ref _pings),
        Volatile.Read(ref _lastTickMicros));

    /// <summary>Latencies recorded since the previous call (thread-safe handoff: the loop keeps recording).</summary>
    public HistogramBase TakeLatency() => _latency.GetIntervalHistogram();

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

        long now = Clock.NowMicros();
        int total = carry + n;
        int consumed;
        try
        {
            consumed = ParseFrames(subscriber, _buffer.AsSpan(0, total), now);
        }
        catch (ProtocolException e)
        {
            Drop(subscriber, $"protocol: {e.Reason} {e.Message}");
            return;
        }

        int left = total - consumed;
        if (subscriber.Carry.Length < left)
        {
            subscriber.Carry = new byte[Math.Max(left, 256)];
        }

        _buffer.AsSpan(consumed, left).CopyTo(subscriber.Carry);
        subscriber.CarryLength = left;
    }

    private int ParseFrames(Subscriber subscriber, ReadOnlySpan<byte> data, long now)
    {
        int position = 0;
        while (!subscriber.Closed)
        {
            ReadOnlySpan<byte> rest = data.Slice(position);
            if (!WebSocketFrameDecoder.TryReadHeader(rest, expectMasked: false, MaxFrameBytes, out WebSocketFrameHeader header, out int headerLength)
                || rest.Length - headerLength < header.PayloadLength)
            {
                break;
            }

            ReadOnlySpan<byte> payload = rest.Slice(headerLength, (int)header.PayloadLength);
            position += headerLength + (int)header.PayloadLength;
            OnFrame(subscriber, header, payload, now);
        }

        return position;
    }

    private void OnFrame(Subscriber subscriber, in WebSocketFrameHeader header, ReadOnlySpan<byte> payload, long now)
    {
        switch (header.Opcode)
        {
            case WebSocketOpcode.Text or WebSocketOpcode.Binary when header.Fin:
                OnMessage(subscriber, header.Opcode, payload, now);
                break;
            case WebSocketOpcode.Text or WebSocketOpcode.Binary:
                subscriber.Fragments = new();
                subscriber.FragmentOpcode = header.Opcode;
                subscriber.Fragments.Write(payload);
                break;
            case WebSocketOpcode.Continuation when subscriber.Fragments is { } fragments:
                fragments.Write(payload);
                if (header.Fin)
                {
                    subscriber.Fragments = null;
                    OnMessage(subscriber, subscriber.FragmentOpcode, fragments.WrittenSpan, now);
                }

                break;
            case WebSocketOpcode.Continuation:
                Drop(subscriber, "protocol: continuation frame without a message in progress");
                break;
            case WebSocketOpcode.Ping:
                _pings++;
                subscriber.TrySend(ClientFrames.Create(WebSocketOpcode.Pong, payload));
                break;
            case WebSocketOpcode.Close:
                // Echo the status code (§5.5.1) so the server sees a clean close handshake.
                subscriber.TrySend(ClientFrames.Create(WebSocketOpcode.Close, payload.Length >= 2 ? payload.Slice(0, 2) : default));
                Drop(subscriber, payload.Length >= 2 ? $"server close {(payload[0] << 8) | payload[1]}" : "server close");
                break;
        }
    }

    private void OnMessage(Subscriber subscriber, WebSocketOpcode opcode, ReadOnlySpan<byte> message, long now)
    {
        if (opcode != WebSocketOpcode.Text)
        {
            return; // binary broadcasts are not part of these scenarios
        }

        switch (_protocol.Classify(message, out long seq, out long sentMicros))
        {
            case TickKind.Tick when seq >= AcceptFromSeq:
                _latency.RecordValue(Math.Clamp(now - sentMicros, 1, MaxLatencyMicros));
                Volatile.Write(ref _ticks, _ticks + 1);
                Volatile.Write(ref _lastTickMicros, now);
                break;
            case TickKind.Tick:
                Volatile.Write(ref _late, _late + 1);
                break;
            case TickKind.Subscribed when !subscriber.Subscribed:
                subscriber.Subscribed = true;
                Volatile.Write(ref _subscribed, _subscribed + 1);
                break;
            case TickKind.Refused:
                Volatile.Write(ref _refused, _refused + 1);
                FirstError ??= "refused: " + System.Text.Encoding.UTF8.GetString(message[..Math.Min(message.Length, 200)]);
                break;
        }
    }

    private void Drop(Subscriber subscriber, string? reason)
    {
        Epoll.Remove(_epfd, subscriber.Fd);
        subscriber.Close();
        Volatile.Write(ref _closed, _closed + 1);
        if (reason is not null)
        {
            Volatile.Write(ref _errors, _errors + 1);
            FirstError ??= reason;
        }
    }
}
