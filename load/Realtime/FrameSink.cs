using System.Buffers;
using HdrHistogram;
using MadBase.Load.Net;
using MadBase.Protocol.WebSockets;

namespace MadBase.Load.Realtime;

/// <summary>
/// Frame decoding and accounting shared by the receivers: parses server frames out of received bytes, answers pings
/// and closes, classifies messages, records tick latency and keeps the counters. Safe for concurrent callers (the
/// task receiver); with one epoll thread the interlocked operations are uncontended and cost a few ns per frame.
/// </summary>
internal sealed class FrameSink
{
    /// <summary>Far above any server frame in these scenarios; a larger one means a broken stream.</summary>
    private const long MaxFrameBytes = 16 * 1024 * 1024;

    /// <summary>Latency range: 1 µs to 1 hour, 3 significant digits.</summary>
    private const long MaxLatencyMicros = 3_600_000_000;

    private readonly ISubscriberProtocol _protocol;
    private readonly Recorder _latency;
    private string? _firstError;
    private long _acceptFromSeq;
    private long _ticks;
    private long _late;
    private long _subscribed;
    private long _refused;
    private long _closed;
    private long _errors;
    private long _pings;
    private long _lastTickMicros;

    public FrameSink(ISubscriberProtocol protocol, bool concurrent)
    {
        _protocol = protocol;
        _latency = concurrent
            ? new Recorder(1, MaxLatencyMicros, 3, (id, low, high, digits) => new LongConcurrentHistogram(id, low, high, digits))
            : new Recorder(1, MaxLatencyMicros, 3, (id, low, high, digits) => new LongHistogram(id, low, high, digits));
    }

    /// <summary>The first error that stopped a connection or a subscription, for the report.</summary>
    public string? FirstError => Volatile.Read(ref _firstError);

    /// <summary>Ticks with a lower sequence belong to an earlier step (a late straggler) and are not recorded.</summary>
    public long AcceptFromSeq
    {
        get => Volatile.Read(ref _acceptFromSeq);
        set => Volatile.Write(ref _acceptFromSeq, value);
    }

    public ReceiveCounters Counters => new(
        Interlocked.Read(ref _ticks),
        Interlocked.Read(ref _late),
        Interlocked.Read(ref _subscribed),
        Interlocked.Read(ref _refused),
        Interlocked.Read(ref _closed),
        Interlocked.Read(ref _errors),
        Interlocked.Read(ref _pings),
        Interlocked.Read(ref _lastTickMicros));

    /// <summary>Latencies recorded since the previous call (the recorder hands over without stopping writers).</summary>
    public HistogramBase TakeLatency() => _latency.GetIntervalHistogram();

    /// <summary>
    /// Handles every complete frame at the start of <paramref name="data"/>, received at <paramref name="now"/>.
    /// Returns the bytes consumed; the rest is an incomplete frame to keep. Throws <see cref="MadBase.Protocol.ProtocolException"/>
    /// on a malformed stream.
    /// </summary>
    public int Parse(Subscriber subscriber, ReadOnlySpan<byte> data, long now)
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

    /// <summary>Counts a connection that ended; <paramref name="reason"/> is null for an orderly end.</summary>
    public void Dropped(Subscriber subscriber, string? reason)
    {
        subscriber.Close();
        Interlocked.Increment(ref _closed);
        if (reason is not null)
        {
            Interlocked.Increment(ref _errors);
            Interlocked.CompareExchange(ref _firstError, reason, null);
        }
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
                Dropped(subscriber, "protocol: continuation frame without a message in progress");
                break;
            case WebSocketOpcode.Ping:
                Interlocked.Increment(ref _pings);
                subscriber.TrySend(ClientFrames.Create(WebSocketOpcode.Pong, payload));
                break;
            case WebSocketOpcode.Close:
                // Echo the status code (§5.5.1) so the server sees a clean close handshake.
                subscriber.TrySend(ClientFrames.Create(WebSocketOpcode.Close, payload.Length >= 2 ? payload.Slice(0, 2) : default));
                Dropped(subscriber, payload.Length >= 2 ? $"server close {(payload[0] << 8) | payload[1]}" : "server close");
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
            case TickKind.Tick when subscriber.Track is { } track:
                track.Record(seq, message.Length, now);
                Interlocked.Increment(ref _ticks);
                break;
            case TickKind.Tick when seq >= AcceptFromSeq:
                _latency.RecordValue(Math.Clamp(now - sentMicros, 1, MaxLatencyMicros));
                Interlocked.Increment(ref _ticks);
                // Last-writer-wins is close enough under concurrency: receive times of one drain differ by microseconds.
                if (now > Interlocked.Read(ref _lastTickMicros))
                {
                    Interlocked.Exchange(ref _lastTickMicros, now);
                }

                break;
            case TickKind.Tick:
                Interlocked.Increment(ref _late);
                break;
            case TickKind.HeartbeatReply:
                subscriber.HeartbeatReplies++;
                break;
            case TickKind.Subscribed when !subscriber.Subscribed:
                subscriber.Subscribed = true;
                subscriber.SubscribedMicros = now;
                Interlocked.Increment(ref _subscribed);
                break;
            case TickKind.Refused:
                Interlocked.Increment(ref _refused);
                Interlocked.CompareExchange(
                    ref _firstError,
                    "refused: " + System.Text.Encoding.UTF8.GetString(message[..Math.Min(message.Length, 200)]),
                    null);
                break;
        }
    }
}
