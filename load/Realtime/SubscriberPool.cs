using System.Diagnostics;
using System.Net;
using HdrHistogram;
using MadBase.Load.Net;

namespace MadBase.Load.Realtime;

/// <summary>
/// Opens subscriber connections (one at a time, before load is applied), spreads them over the receivers, and
/// keeps protocols with an application heartbeat alive. Client <c>i</c> connects to endpoint <c>i % count</c> (one node
/// of a cluster each, round-robin, as a load balancer spreading clients would) (realtime-js sends one every 25 s; the server would close
/// quiet sockets after its idle timeout).
/// </summary>
internal sealed class SubscriberPool : IDisposable
{
    private static readonly TimeSpan s_heartbeatInterval = TimeSpan.FromSeconds(25);
    private static readonly TimeSpan s_handshakeTimeout = TimeSpan.FromSeconds(10);

    private readonly IPEndPoint[] _endpoints;
    private readonly ISubscriberProtocol _protocol;
    private readonly Subscriber?[] _subscribers;
    private readonly IReceiver[] _receivers;
    private readonly Timer? _heartbeat;
    private int _count;

    /// <param name="receiveThreads">Epoll threads; 0 selects one async receive task per socket instead.</param>
    public SubscriberPool(IPEndPoint[] endpoints, ISubscriberProtocol protocol, int capacity, int receiveThreads, int pollMs)
    {
        _endpoints = endpoints;
        _protocol = protocol;
        _subscribers = new Subscriber?[capacity];
        if (receiveThreads == 0)
        {
            _receivers = [new TaskReceiver(new FrameSink(protocol, concurrent: true))];
        }
        else
        {
            _receivers = new IReceiver[receiveThreads];
            for (int i = 0; i < receiveThreads; i++)
            {
                _receivers[i] = new EpollReceiver(i, new FrameSink(protocol, concurrent: false), _subscribers, pollMs);
            }
        }

        if (protocol.HeartbeatFrame is not null)
        {
            _heartbeat = new Timer(_ => SendHeartbeats(), null, s_heartbeatInterval, s_heartbeatInterval);
        }
    }

    /// <summary>Connections opened so far (some may have been closed by the server since).</summary>
    public int Count => _count;

    /// <summary>
    /// Opens connections until <paramref name="total"/> are open, sending the subscribe frame on each. Stops at the
    /// first failure (usually a server at its limit) and returns its message; null when all opened.
    /// </summary>
    public string? OpenUpTo(int total, TimeSpan budget)
    {
        var clock = Stopwatch.StartNew();
        while (_count < total)
        {
            if (clock.Elapsed > budget)
            {
                return $"connect budget of {budget.TotalSeconds:F0} s spent at {_count} connections";
            }

            try
            {
                Connect(_count, track: null);
                _count++;
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
            {
                return $"connection {_count + 1} failed: {e.Message}";
            }
        }

        return null;
    }

    /// <summary>Client <paramref name="client"/>'s current connection (its latest, after a reconnect).</summary>
    public Subscriber? this[int client] => Volatile.Read(ref _subscribers[client]);

    /// <summary>
    /// Opens a new connection for client <paramref name="client"/> (its previous one must be closed) with the same
    /// identity and subscribe frame, carrying its row record over. Returns null, or why it failed.
    /// </summary>
    public string? Reconnect(int client)
    {
        try
        {
            Connect(client, this[client]?.Track);
            return null;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            return $"reconnect of client {client} failed: {e.Message}";
        }
    }

    /// <summary>
    /// Ends every connection abruptly, as a network drop or a killed tab would: no <c>phx_leave</c>, no Close frame,
    /// an abortive close (RST). Their receivers skip closed connections; closing the descriptor leaves the epoll set.
    /// </summary>
    public void AbortAll()
    {
        for (int i = 0; i < _count; i++)
        {
            this[i]?.Close();
        }
    }

    /// <summary>
    /// Sends one Phoenix heartbeat on every open connection and waits until each has its reply (or the timeout passes),
    /// as realtime-js does: its next heartbeat goes out only after the previous reply arrived. Returns how many replied.
    /// </summary>
    public int HeartbeatRound(TimeSpan timeout)
    {
        byte[] frame = _protocol.HeartbeatFrame ?? throw new InvalidOperationException("The protocol has no heartbeat.");
        var sent = new List<(Subscriber Subscriber, int Before)>(_count);
        for (int i = 0; i < _count; i++)
        {
            if (this[i] is { Closed: false } subscriber)
            {
                int before = subscriber.HeartbeatReplies;
                if (subscriber.TrySend(frame))
                {
                    sent.Add((subscriber, before));
                }
            }
        }

        var clock = Stopwatch.StartNew();
        int replied;
        while ((replied = sent.Count(s => s.Subscriber.HeartbeatReplies > s.Before)) < sent.Count && clock.Elapsed < timeout)
        {
            Thread.Sleep(5);
        }

        return replied;
    }

    private void Connect(int client, RowTrack? track)
    {
        var (socket, leftover) = WsHandshake.Connect(_endpoints[client % _endpoints.Length], _protocol.SubscribePath(client), s_handshakeTimeout);
        var subscriber = new Subscriber(client, socket, leftover) { Track = track };
        subscriber.SubscribeSentMicros = Clock.NowMicros();
        if (_protocol.SubscribeFrame is { } subscribe)
        {
            WsHandshake.SendAll(socket, subscribe);
        }

        Volatile.Write(ref _subscribers[client], subscriber);
        _receivers[client % _receivers.Length].Add(subscriber);
    }

    /// <summary>
    /// Waits until every open connection is subscribed (for protocols with a subscribe frame: its ok reply), a
    /// subscription is refused, or the timeout passes. Returns the number subscribed.
    /// </summary>
    public long WaitSubscribed(TimeSpan timeout)
    {
        if (_protocol.SubscribeFrame is null)
        {
            return _count;
        }

        var clock = Stopwatch.StartNew();
        ReceiveCounters counters;
        while ((counters = Counters).Subscribed < _count && counters.Refused == 0 && clock.Elapsed < timeout)
        {
            Thread.Sleep(10);
        }

        return Counters.Subscribed;
    }

    public ReceiveCounters Counters
    {
        get
        {
            var sum = default(ReceiveCounters);
            foreach (IReceiver receiver in _receivers)
            {
                sum = ReceiveCounters.Sum(sum, receiver.Sink.Counters);
            }

            return sum;
        }
    }

    /// <summary>Connections that are still open.</summary>
    public int OpenCount => _count - (int)Counters.Closed;

    public string? FirstError => _receivers.Select(r => r.Sink.FirstError).FirstOrDefault(e => e is not null);

    public void SetAcceptFromSeq(long seq)
    {
        foreach (IReceiver receiver in _receivers)
        {
            receiver.Sink.AcceptFromSeq = seq;
        }
    }

    /// <summary>All latencies recorded since the previous call, merged over the receivers.</summary>
    public HistogramBase TakeLatency()
    {
        HistogramBase merged = _receivers[0].Sink.TakeLatency();
        for (int i = 1; i < _receivers.Length; i++)
        {
            merged.Add(_receivers[i].Sink.TakeLatency());
        }

        return merged;
    }

    public void Dispose()
    {
        _heartbeat?.Dispose();
        foreach (IReceiver receiver in _receivers)
        {
            receiver.Dispose();
        }

        for (int i = 0; i < _count; i++)
        {
            _subscribers[i]?.Close();
        }
    }

    private void SendHeartbeats()
    {
        byte[] frame = _protocol.HeartbeatFrame!;
        for (int i = 0; i < Volatile.Read(ref _count); i++)
        {
            if (Volatile.Read(ref _subscribers[i]) is { Closed: false } subscriber)
            {
                subscriber.TrySend(frame);
            }
        }
    }
}
