using MadBase.Edge.WebSockets;

namespace MadBase.Edge.Realtime.Delivery;

/// <summary>
/// One socket's reading position in the <see cref="DeliveryLog"/>: the sequence of the next entry it has not read.
/// Its writer reads from here at its own pace (<see cref="ReadInto"/>); the log keeps every entry addressed to it
/// until it has read past it, or until it is declared behind (<see cref="Overrun"/>): then it reads nothing more and
/// its <see cref="IChangeGapHandler"/> tells the client and closes the socket. So a socket sees every change for it,
/// in order, exactly once, or is told it missed some: never a silent gap.
/// </summary>
internal sealed class LogCursor : ISharedFrameSource
{
    /// <summary>Entries looked at per batch, so a socket skipping a long run of others' changes still yields.</summary>
    private const int MaxScannedPerBatch = 4096;

    private const int Reading = 0;
    private const int Behind = 1;
    private const int Detached = 2;

    private static long s_nextId;

    private readonly DeliveryLog _log;
    private readonly OutboundQueue _queue;
    private readonly IChangeGapHandler _onGap;
    private long _position;
    private long _lastProgress;
    private int _state;

    // Resume positions (docs/ARCHITECTURE.md, "Resume"): the change position of the last entry this socket's writer
    // took, and of the last one it finished handing to the transport. The writer sets them, sessions and the resume
    // keeper read them: a lock, taken once per batch, keeps the 12-byte pairs whole.
    private readonly Lock _positions = new();
    private ChangePosition _taken;
    private ChangePosition _written;

    // The writer's cache of where this reader's recipients are in the last recipients array it looked at (one writer
    // run at a time per socket, so no lock). Held arrays are immutable: a stale reference is only a cache miss.
    private LogRecipient[]? _rangeOf;
    private (int Start, int End) _range;

    public LogCursor(DeliveryLog log, OutboundQueue queue, IChangeGapHandler onGap)
    {
        _log = log;
        _queue = queue;
        _onGap = onGap;
        Id = Interlocked.Increment(ref s_nextId);
        _position = log.Head; // changes appended from now on
        _taken = _written = log.RoutedThrough;
        _lastProgress = log.Time.GetTimestamp();
        queue.AttachSource(this);
    }

    /// <summary>Orders deliveries within an entry, so a reader finds its own by binary search.</summary>
    public long Id { get; }

    /// <summary>The sequence of the next entry this socket has not read.</summary>
    public long Position => Volatile.Read(ref _position);

    /// <summary>The log evicted a change before this socket read it.</summary>
    public bool IsBehind => Volatile.Read(ref _state) == Behind;

    /// <summary>
    /// Whether this reader still needs <paramref name="entry"/>: reading, not yet past it, and its socket not closing
    /// (a closing socket's writer reads no more changes, so it must not hold the log until it is gone).
    /// </summary>
    public bool Holds(LogEntry entry) =>
        Volatile.Read(ref _state) == Reading && Volatile.Read(ref _position) <= entry.Sequence && !_queue.IsCompleted;

    /// <summary>
    /// Made no progress for <paramref name="stall"/> while holding <paramref name="entry"/>: counted from its last
    /// read or from the entry's arrival, whichever is later (a socket idle until now is not stalled by a new entry).
    /// </summary>
    public bool IsStalledOn(LogEntry entry, long now, TimeSpan stall)
    {
        var since = Math.Max(Volatile.Read(ref _lastProgress), entry.AppendedAt);
        return _log.Time.GetElapsedTime(since, now) >= stall;
    }

    /// <summary>
    /// Every change for this socket up to here has been taken by its writer: a frame queued now goes out after them.
    /// A reader that has caught up with the log has everything the router has routed.
    /// </summary>
    public ChangePosition Taken()
    {
        var routed = _log.RoutedThrough; // before the head: entries of a routed transaction are below the head read next
        var caughtUp = Volatile.Read(ref _position) >= _log.Head;
        lock (_positions)
        {
            return caughtUp ? ChangePosition.Max(_taken, routed) : _taken;
        }
    }

    /// <summary>
    /// Every change for this socket up to here has been handed to the transport (the kernel on the epoll transport,
    /// Kestrel's output pipe on the other): after a kill -9 the kernel still sends what it holds.
    /// </summary>
    public ChangePosition Written()
    {
        var routed = _log.RoutedThrough;
        var caughtUp = Volatile.Read(ref _position) >= _log.Head;
        lock (_positions)
        {
            return caughtUp && _written == _taken ? ChangePosition.Max(_written, routed) : _written;
        }
    }

    /// <inheritdoc/>
    public void OnFlushed()
    {
        lock (_positions)
        {
            _written = _taken;
        }
    }

    /// <summary>New entries for this socket: its writer reads them on its next batch.</summary>
    public void Notify() => _queue.NotifySource();

    /// <summary>
    /// Called by the log, under its lock, before it evicts an entry this reader still holds. Once: the reader stops,
    /// and the handler runs on the thread pool (never on the router's or the log's thread).
    /// </summary>
    public void Overrun()
    {
        if (Interlocked.CompareExchange(ref _state, Behind, Reading) == Reading)
        {
            _log.CountOverrun();
            ThreadPool.UnsafeQueueUserWorkItem(static cursor => cursor._onGap.OnChangesMissed(cursor), this, preferLocal: false);
        }
    }

    /// <summary>The socket is gone: it holds no entries any more.</summary>
    public void Detach() => Interlocked.CompareExchange(ref _state, Detached, Reading);

    /// <inheritdoc/>
    /// <remarks>
    /// A delivery for a channel whose join reply is not queued yet (<see cref="IChangeRecipient.IsLive"/>) stops the
    /// read before it, so a change never overtakes its channel's join reply; going live notifies again. Deliveries
    /// for channels that have left are skipped.
    /// </remarks>
    public bool ReadInto(ref OutboundFrame[] batch, ref int count, int maxBytes)
    {
        if (Volatile.Read(ref _state) != Reading)
        {
            return false;
        }

        OnFlushed(); // the writer takes a batch only once the previous one is handed over
        var routed = _log.RoutedThrough;
        var start = Volatile.Read(ref _position);
        var sequence = start;
        var head = _log.Head;
        var bytes = 0;
        var more = false;
        var lastTaken = ChangePosition.None;
        for (var scanned = 0; sequence < head; scanned++)
        {
            if (bytes >= maxBytes || scanned == MaxScannedPerBatch)
            {
                more = true;
                break;
            }

            var tail = _log.Tail;
            if (sequence < tail)
            {
                // Evicted: had any of those entries been for this socket, it would have been marked behind first
                // (the log marks, then moves its tail), so a reader still reading lost nothing there.
                if (Volatile.Read(ref _state) != Reading)
                {
                    break;
                }

                sequence = tail;
                continue;
            }

            if (_log.Find(sequence) is { } entry)
            {
                if (!TryTake(entry, ref batch, ref count, ref bytes))
                {
                    break; // a channel of this socket is still joining
                }

                lastTaken = entry.Position;
            }

            if (Volatile.Read(ref _state) != Reading)
            {
                break; // marked behind meanwhile: what was read is before the gap; the handler closes the socket
            }

            sequence++;
        }

        lock (_positions)
        {
            _taken = ChangePosition.Max(_taken, sequence >= head ? ChangePosition.Max(lastTaken, routed) : lastTaken);
        }

        if (sequence != start)
        {
            Volatile.Write(ref _position, sequence);
            Volatile.Write(ref _lastProgress, _log.Time.GetTimestamp());
            _log.OnReaderProgress();
        }

        return more;
    }

    private bool TryTake(LogEntry entry, ref OutboundFrame[] batch, ref int count, ref int bytes)
    {
        // Consecutive entries usually share one recipients array (LogEntry): its range for this reader is found once.
        var recipients = entry.Recipients;
        if (!ReferenceEquals(recipients, _rangeOf))
        {
            _range = entry.RangeOf(this);
            _rangeOf = recipients;
        }

        var (start, end) = _range;
        for (var i = start; i < end; i++)
        {
            var channel = recipients[i].Channel;
            if (!channel.IsLive && !channel.IsClosed)
            {
                return false;
            }
        }

        for (var i = start; i < end; i++)
        {
            var recipient = recipients[i];
            if (recipient.Channel.IsClosed)
            {
                continue;
            }

            if (count == batch.Length)
            {
                OutboundBatches.Grow(ref batch, count);
            }

            var frame = entry.Frames[recipient.Frame];
            batch[count++] = new OutboundFrame(frame);
            bytes += frame.Length;
        }

        return true;
    }
}
