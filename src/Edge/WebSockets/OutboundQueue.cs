using System.Threading.Channels;
using MadBase.Edge.Hosting;

namespace MadBase.Edge.WebSockets;

/// <summary>
/// The frames waiting for one client. Producers (the client's own reader, the broadcast fan-out, the change
/// router) only ever call <see cref="TryEnqueue"/>, which never blocks: a full queue drops the frame and starts
/// the grace clock, and a queue still full after the grace asks the connection to close with 1008. The single
/// consumer is the connection's writer loop.
/// </summary>
internal sealed class OutboundQueue
{
    private readonly Channel<OutboundFrame> _channel;
    private readonly TimeProvider _time;
    private readonly TimeSpan _grace;
    private readonly Action<OutboundQueue> _onOverflow;
    private readonly Counter _droppedMetric;
    private long _fullSinceTimestamp;
    private long _dropped;
    private long _droppedAtLastDrain;
    private int _overflowReported;
    private volatile bool _completed;

    public OutboundQueue(int capacity, TimeSpan grace, TimeProvider time, Counter droppedMetric, Action<OutboundQueue> onOverflow)
    {
        _droppedMetric = droppedMetric;
        // SingleReader lets the channel skip reader-side locking; FullMode Wait + TryWrite = "fail instead of block".
        _channel = Channel.CreateBounded<OutboundFrame>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });
        _grace = grace;
        _time = time;
        _onOverflow = onOverflow;
    }

    public ChannelReader<OutboundFrame> Reader => _channel.Reader;

    /// <summary>Frames dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues a frame; false when the queue is full (the frame is dropped) or the socket is closing.</summary>
    public bool TryEnqueue(in OutboundFrame frame)
    {
        if (_channel.Writer.TryWrite(frame))
        {
            return true;
        }

        if (_completed || Volatile.Read(ref _overflowReported) == 1)
        {
            return false; // closing: not a drop, the socket is going away anyway
        }

        Interlocked.Increment(ref _dropped);
        _droppedMetric.Increment();
        var now = _time.GetTimestamp();
        var since = Interlocked.CompareExchange(ref _fullSinceTimestamp, now, 0);
        if (since != 0 && _time.GetElapsedTime(since, now) >= _grace && Interlocked.Exchange(ref _overflowReported, 1) == 0)
        {
            _onOverflow(this);
        }

        return false;
    }

    /// <summary>
    /// Called by the writer after each flush. Only a write cycle during which nothing was dropped restarts the grace
    /// clock: a client that reads, but too slowly to ever catch up, keeps losing frames and must be closed too.
    /// </summary>
    public void MarkDrained()
    {
        var dropped = Interlocked.Read(ref _dropped);
        if (dropped == _droppedAtLastDrain)
        {
            Interlocked.Exchange(ref _fullSinceTimestamp, 0);
        }

        _droppedAtLastDrain = dropped;
    }

    /// <summary>Stops accepting frames; the writer drains what is queued and then ends.</summary>
    public void Complete()
    {
        _completed = true;
        _channel.Writer.TryComplete();
    }
}
