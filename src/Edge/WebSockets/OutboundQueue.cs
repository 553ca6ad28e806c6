using MadBase.Edge.Diagnostics;

namespace MadBase.Edge.WebSockets;

/// <summary>Told once when a queue has stayed full past its grace (the socket should close).</summary>
internal interface IOutboundOverflowHandler
{
    void OnOverflow(OutboundQueue queue);
}

/// <summary>
/// The one writer of a queue, woken when it is idle and there is something to write. How it runs is the transport's
/// business (a thread-pool work item on epoll, an awaiting loop on a pipe); the queue only says "now".
/// </summary>
internal interface IOutboundWriter
{
    /// <summary>
    /// Called once per <see cref="OutboundQueue.HasWorkOrArm"/> that returned false, by the first producer (or
    /// <see cref="OutboundQueue.Complete"/>) after it, outside the queue's lock. Must not run the writer inline.
    /// </summary>
    void Wake();
}

/// <summary>
/// The frames waiting for one client: many producers (the client's own reader, broadcast and presence fan-out), one
/// consumer (the connection's writer loop). Producers only ever call <see cref="TryEnqueue"/>, which never blocks: a
/// full queue drops the frame and starts the grace clock, and a queue still full after the grace asks the connection
/// to close with 1008. postgres_changes do not pass through here: the writer reads them from a shared log through
/// an attached <see cref="ISharedFrameSource"/>, after the queued frames of each batch, and nothing is dropped.
/// </summary>
/// <remarks>
/// Why not <c>Channel&lt;T&gt;</c>: a bounded channel takes its lock for every write <em>and every read</em> and keeps
/// about 700 bytes of reusable async operations per instance. Here a producer takes the lock once per frame, the
/// writer once per batch (<see cref="TakeAll"/> swaps the whole pending array out), and an idle queue holds two
/// small arrays. There is one way to wait: the writer asks <see cref="HasWorkOrArm"/> and, on false, ends its run
/// until the queue calls <see cref="IOutboundWriter.Wake"/>.
/// </remarks>
internal sealed class OutboundQueue
{
    /// <summary>
    /// Arrays the writer hands back up to this length (512 bytes) are reused; larger ones are dropped, so a burst does
    /// not pin memory on an idle socket, while steady fan-out batches do not regrow an array on every cycle.
    /// </summary>
    private const int KeptArrayLength = 64;

    /// <summary>
    /// Bytes of shared-log frames one batch takes: one 64 KiB send, so a socket reading a large backlog holds at most
    /// this much of it outside the log at a time.
    /// </summary>
    private const int SourceBatchBytes = 64 * 1024;

    private readonly int _capacity;
    private readonly TimeProvider _time;
    private readonly TimeSpan _grace;
    private readonly IOutboundOverflowHandler _onOverflow;
    private readonly Counter _droppedMetric;
    private readonly IOutboundWriter? _writer;
    private OutboundFrame[] _pending = [];
    private OutboundFrame[]? _spare;
    private int _count;
    private bool _waiting;
    private bool _completed;
    private long _fullSinceTimestamp;
    private long _dropped;
    private long _droppedAtLastDrain;
    private int _overflowReported;
    private ISharedFrameSource? _source;
    private IOutboundDropListener? _dropListener;
    private long _untoldDrops;
    private bool _sourcePending;

    /// <param name="writer">Woken after an armed <see cref="HasWorkOrArm"/>; null when the caller polls <see cref="TakeAll"/> itself (tests).</param>
    public OutboundQueue(int capacity, TimeSpan grace, TimeProvider time, Counter droppedMetric, IOutboundOverflowHandler onOverflow, IOutboundWriter? writer = null)
    {
        _capacity = capacity;
        _grace = grace;
        _time = time;
        _droppedMetric = droppedMetric;
        _onOverflow = onOverflow;
        _writer = writer;
    }

    /// <summary>
    /// The queue's lock is the queue itself (no other code locks on it): one queue per socket, and an uncontended
    /// monitor needs no lock object of its own.
    /// </summary>
    private OutboundQueue Gate => this;

    /// <summary>Frames dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues a frame; false when the queue is full (the frame is dropped) or the socket is closing.</summary>
    public bool TryEnqueue(in OutboundFrame frame)
    {
        bool wake;
        lock (Gate)
        {
            if (_completed)
            {
                return false; // closing: not a drop, the socket is going away anyway
            }

            if (_count == _capacity)
            {
                wake = false;
            }
            else
            {
                if (_count == _pending.Length)
                {
                    Grow();
                }

                _pending[_count++] = frame;
                wake = _waiting;
                _waiting = false;
                if (!wake)
                {
                    return true;
                }
            }
        }

        if (wake)
        {
            Wake();
            return true;
        }

        CountDrop();
        return false;
    }

    /// <summary>
    /// Queues a frame that may wait for the writer's next run (a Ping whose answer proves delivery): an idle writer is
    /// not woken, so at fan-out rates it rides in the next batch's send instead of costing one of its own. False when
    /// the queue is full or closing; that is not a drop (nothing the client expects is lost).
    /// </summary>
    public bool TryEnqueueQuietly(in OutboundFrame frame)
    {
        lock (Gate)
        {
            if (_completed || _count == _capacity)
            {
                return false;
            }

            if (_count == _pending.Length)
            {
                Grow();
            }

            _pending[_count++] = frame;
            return true;
        }
    }

    /// <summary>Wakes an idle writer when frames are queued (ones queued quietly that no write carried yet).</summary>
    public void WakeForQueued()
    {
        bool wake;
        lock (Gate)
        {
            wake = _waiting && _count > 0;
            if (wake)
            {
                _waiting = false;
            }
        }

        if (wake)
        {
            Wake();
        }
    }

    private void CountDrop()
    {
        if (Volatile.Read(ref _overflowReported) == 1)
        {
            return;
        }

        Interlocked.Increment(ref _dropped);
        Interlocked.Increment(ref _untoldDrops);
        _droppedMetric.Increment();
        var now = _time.GetTimestamp();
        var since = Interlocked.CompareExchange(ref _fullSinceTimestamp, now, 0);
        if (since != 0 && _time.GetElapsedTime(since, now) >= _grace && Interlocked.Exchange(ref _overflowReported, 1) == 0)
        {
            _onOverflow.OnOverflow(this);
        }
    }

    /// <summary>
    /// True once <see cref="Complete"/> was called: a batch of 0 frames then means "drained, finish". Read without the
    /// lock (it only ever turns true), so the delivery log can ask it for every recipient cheaply.
    /// </summary>
    public bool IsCompleted => Volatile.Read(ref _completed);

    /// <summary>Who tells the client about dropped frames (<see cref="MarkDrained"/>); set once, by the session.</summary>
    public void ListenForDrops(IOutboundDropListener listener) => Volatile.Write(ref _dropListener, listener);

    /// <summary>Attaches the shared log this socket reads postgres_changes from (once; later calls keep the first).</summary>
    public void AttachSource(ISharedFrameSource source)
    {
        lock (Gate)
        {
            _source ??= source;
        }
    }

    /// <summary>
    /// The attached source has frames for this socket: the writer reads them on its next batch (woken now if idle).
    /// Never blocks and never drops: the frames stay in the source until read.
    /// </summary>
    public void NotifySource()
    {
        bool wake;
        lock (Gate)
        {
            if (_completed || _source is null)
            {
                return;
            }

            _sourcePending = true;
            wake = _waiting;
            _waiting = false;
        }

        if (wake)
        {
            Wake();
        }
    }

    /// <summary>
    /// Closing for a reason the client must read: the backlog is replaced by <paramref name="last"/> (the client could
    /// not keep up with it anyway), nothing more is accepted, and the writer sends these frames, then the Close.
    /// </summary>
    public void CompleteWith(OutboundFrame[] last)
    {
        bool wake;
        lock (Gate)
        {
            if (_completed)
            {
                return;
            }

            _pending = [.. last];
            _count = last.Length;
            _completed = true;
            wake = _waiting;
            _waiting = false;
        }

        if (wake)
        {
            Wake();
        }
    }

    /// <summary>
    /// Takes every queued frame at once, then the attached source's next frames (up to <see cref="SourceBatchBytes"/>):
    /// the returned array's first <paramref name="count"/> items, queued frames first. The writer owns it until it
    /// passes it back to <see cref="Return"/>. A count of 0 with <see cref="IsCompleted"/> false means "nothing for
    /// now" (the source had nothing this socket may read yet); the writer just asks again.
    /// </summary>
    public OutboundFrame[] TakeAll(out int count)
    {
        OutboundFrame[] taken;
        ISharedFrameSource? source;
        lock (Gate)
        {
            taken = _pending;
            count = _count;
            _pending = _spare ?? [];
            _spare = null;
            _count = 0;

            // Cleared before reading, so a notification that lands while the source is read is not lost.
            source = _sourcePending && !_completed ? _source : null;
            _sourcePending = false;
        }

        if (source is not null && source.ReadInto(ref taken, ref count, SourceBatchBytes))
        {
            lock (Gate)
            {
                _sourcePending = !_completed;
            }
        }

        return taken;
    }

    /// <summary>Gives a batch array back (cleared, so the frames' buffers are not kept alive) for reuse.</summary>
    public void Return(OutboundFrame[] batch, int count)
    {
        if (batch.Length > KeptArrayLength)
        {
            OutboundBatches.Recycle(batch, count); // a backlog's batch: shared, not kept by this socket
            return;
        }

        if (batch.Length == 0)
        {
            return;
        }

        Array.Clear(batch, 0, count);
        lock (Gate)
        {
            _spare ??= batch;
        }
    }

    /// <summary>
    /// Called by the writer after each flush. Only a write cycle during which nothing was dropped restarts the grace
    /// clock: a client that reads, but too slowly to ever catch up, keeps losing frames and must be closed too.
    /// Drops since the last flush are reported to the <see cref="IOutboundDropListener"/> now that there is room, so
    /// no drop goes untold (unless the socket is being closed for them, which tells the client itself).
    /// </summary>
    public void MarkDrained()
    {
        Volatile.Read(ref _source)?.OnFlushed();
        var dropped = Interlocked.Read(ref _dropped);
        if (dropped == _droppedAtLastDrain)
        {
            Interlocked.Exchange(ref _fullSinceTimestamp, 0);
        }

        _droppedAtLastDrain = dropped;
        if (Interlocked.Read(ref _untoldDrops) > 0 && Volatile.Read(ref _dropListener) is { } listener
            && Volatile.Read(ref _overflowReported) == 0 && !IsCompleted)
        {
            listener.OnFramesDropped(Interlocked.Exchange(ref _untoldDrops, 0));
        }
    }

    /// <summary>Stops accepting frames; the writer drains what is queued and then ends.</summary>
    public void Complete()
    {
        bool wake;
        lock (Gate)
        {
            _completed = true;
            wake = _waiting;
            _waiting = false;
        }

        if (wake)
        {
            Wake();
        }
    }

    /// <summary>
    /// The writer's only wait: true when frames are queued, the source has more, or the queue is completed (write, or
    /// finish, now); false after arming the wake-up, so the next <see cref="TryEnqueue"/>, <see cref="NotifySource"/>
    /// or <see cref="Complete"/> calls <see cref="IOutboundWriter.Wake"/> once. The writer's run must end right after a
    /// false.
    /// </summary>
    public bool HasWorkOrArm()
    {
        lock (Gate)
        {
            if (_count > 0 || _completed || _sourcePending)
            {
                return true;
            }

            _waiting = true;
            return false;
        }
    }

    private void Wake() => _writer?.Wake();

    private void Grow()
    {
        var larger = new OutboundFrame[Math.Min(_capacity, Math.Max(4, _pending.Length * 2))];
        _pending.AsSpan(0, _count).CopyTo(larger);
        _pending = larger;
    }
}
