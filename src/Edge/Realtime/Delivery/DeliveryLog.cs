using MadBase.Edge.Diagnostics;

namespace MadBase.Edge.Realtime.Delivery;

/// <summary>
/// The committed changes between the router and the sockets: each change once, with its shared frames and the
/// sockets it goes to, in commit order. Every socket's writer reads it from its own <see cref="LogCursor"/>; nothing
/// is copied per socket and nothing is dropped for a socket that keeps reading.
/// </summary>
/// <remarks>
/// Invariants, kept under the lock by the one appender (the router) and the trim timer:
/// <list type="bullet">
/// <item>Entries occupy the dense sequence range [<see cref="Tail"/>, <see cref="Head"/>); readers look them up
/// without locking (an entry is published before <see cref="Head"/> moves past it).</item>
/// <item>An entry leaves the tail only when it is over the bounds (<see cref="DeliveryLogOptions.MaxBytes"/>, or
/// older than <see cref="DeliveryLogOptions.MaxAge"/>) and no reader still holds it. A reader that holds it and
/// made no progress for <see cref="DeliveryLogOptions.Stall"/> is marked behind first (it is then told and closed),
/// and only then is the entry evicted and the tail moved.</item>
/// <item>Memory is the log's bytes, at most <see cref="DeliveryLogOptions.MaxBytes"/> plus one entry: when the bound
/// is reached and the tail is still held by readers that are reading, <see cref="AppendAsync"/> waits for them.
/// That back-pressure reaches PostgreSQL (the transaction is acknowledged only once appended), and one stopped
/// reader can hold it for at most <see cref="DeliveryLogOptions.Stall"/>.</item>
/// </list>
/// </remarks>
internal sealed class DeliveryLog : IDisposable
{
    private const int MinimumRingLength = 1024;

    /// <summary>How often a waiting append re-checks stalls when no reader makes progress (progress wakes it at once).</summary>
    private static readonly TimeSpan s_waitRecheck = TimeSpan.FromMilliseconds(100);

    private readonly Lock _gate = new();
    private readonly DeliveryLogOptions _options;
    private readonly Counter _overruns;
    private readonly Counter _waits;
    private readonly ITimer _trimmer;
    private readonly LogTurnoverCollector? _turnover;
    private LogEntry?[] _ring = new LogEntry?[MinimumRingLength];
    private long _tail;
    private long _head;
    private long _bytes;
    private TaskCompletionSource? _progress;
    private RoutedMark _routed = new(ChangePosition.None);

    public DeliveryLog(DeliveryLogOptions options, TimeProvider time, Counter overruns, Counter waits, LogTurnoverCollector? turnover = null)
    {
        _options = options;
        _turnover = turnover;
        Time = time;
        _overruns = overruns;
        _waits = waits;

        // Age is enforced even when nothing is appended (a quiet database still lets old entries go).
        _trimmer = time.CreateTimer(static log => ((DeliveryLog)log!).Trim(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public TimeProvider Time { get; }

    /// <summary>The sequence the next appended entry gets.</summary>
    public long Head => Volatile.Read(ref _head);

    /// <summary>The oldest sequence still in the log.</summary>
    public long Tail => Volatile.Read(ref _tail);

    /// <summary>Bytes the entries count against the bound.</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    public long Count => Head - Tail;

    /// <summary>
    /// Every transaction up to here has been routed: its entries are below <see cref="Head"/>. Set by the router after
    /// the last append of a transaction, so a reader that reads this and then finds itself at the head has them all.
    /// </summary>
    public ChangePosition RoutedThrough => Volatile.Read(ref _routed).Position;

    /// <summary>Moves <see cref="RoutedThrough"/> up to <paramref name="position"/> (never down: the router and the idle mark both set it).</summary>
    public void MarkRouted(ChangePosition position)
    {
        var current = Volatile.Read(ref _routed);
        while (position > current.Position)
        {
            var seen = Interlocked.CompareExchange(ref _routed, new RoutedMark(position), current);
            if (ReferenceEquals(seen, current))
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>The entry at <paramref name="sequence"/>, or null when it was evicted (or not appended yet).</summary>
    public LogEntry? Find(long sequence)
    {
        var ring = Volatile.Read(ref _ring);
        var entry = Volatile.Read(ref ring[sequence & (ring.Length - 1)]);
        return entry is not null && entry.Sequence == sequence && sequence >= Tail ? entry : null;
    }

    /// <summary>
    /// Appends one change and wakes the sockets it goes to. Waits while the log is at its byte bound and its tail is
    /// held by readers that are still reading (see the remarks on the class).
    /// </summary>
    public async ValueTask AppendAsync(LogEntry entry, CancellationToken cancellationToken)
    {
        var counted = false;
        while (true)
        {
            Task progress;
            lock (_gate)
            {
                var now = Time.GetTimestamp();
                TrimLocked(now, entry.Bytes);
                if (_head == _tail || _bytes + entry.Bytes <= _options.MaxBytes)
                {
                    AddLocked(entry, now);
                    break;
                }

                // One read of the field: OnReaderProgress clears it without the lock (a second read could find null).
                var waiting = _progress ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                progress = waiting.Task;
            }

            if (!counted)
            {
                _waits.Increment();
                counted = true;
            }

            try
            {
                await progress.WaitAsync(s_waitRecheck, Time, cancellationToken);
            }
            catch (TimeoutException)
            {
                // Nobody read anything for a while: trim again, which marks stalled readers behind.
            }
        }

        LogCursor? last = null;
        foreach (var recipient in entry.Recipients)
        {
            if (!ReferenceEquals(recipient.Reader, last))
            {
                recipient.Reader.Notify();
                last = recipient.Reader;
            }
        }
    }

    /// <summary>A reader moved forward: a waiting append may find room now.</summary>
    public void OnReaderProgress()
    {
        if (Volatile.Read(ref _progress) is { } waiting && Interlocked.CompareExchange(ref _progress, null, waiting) == waiting)
        {
            waiting.TrySetResult();
        }
    }

    /// <summary>Evicts what is over the bounds and no longer held (the timer's call; appends trim too).</summary>
    public void Trim()
    {
        lock (_gate)
        {
            TrimLocked(Time.GetTimestamp(), incoming: 0);
        }
    }

    internal void CountOverrun() => _overruns.Increment();

    public void Dispose() => _trimmer.Dispose();

    private void TrimLocked(long now, long incoming)
    {
        while (_tail < _head)
        {
            var entry = _ring[_tail & (_ring.Length - 1)]!;
            var overBytes = _bytes + incoming > _options.MaxBytes;
            if (!overBytes && Time.GetElapsedTime(entry.AppendedAt, now) < _options.MaxAge)
            {
                break;
            }

            if (!Release(entry, now))
            {
                break;
            }

            Volatile.Write(ref _ring[_tail & (_ring.Length - 1)], null);
            _bytes -= entry.Bytes;
            _turnover?.Evicted(entry.Bytes);
            Volatile.Write(ref _tail, _tail + 1);
        }

        if (_ring.Length > MinimumRingLength && _head - _tail < _ring.Length / 4)
        {
            Resize(_ring.Length / 2); // a burst's ring is given back once it has drained
        }
    }

    /// <summary>
    /// True when no reader holds <paramref name="entry"/> any more. Readers holding it without progress for the stall
    /// time are marked behind here, before the caller evicts it: that order is what lets a reader that finds an
    /// entry gone know whether it lost anything (<see cref="LogCursor.ReadInto"/>).
    /// </summary>
    private bool Release(LogEntry entry, long now)
    {
        var held = false;
        foreach (var recipient in entry.Recipients)
        {
            if (recipient.Channel.IsClosed || !recipient.Reader.Holds(entry))
            {
                continue;
            }

            if (recipient.Reader.IsStalledOn(entry, now, _options.Stall))
            {
                recipient.Reader.Overrun();
            }
            else
            {
                held = true;
            }
        }

        return !held;
    }

    private void AddLocked(LogEntry entry, long now)
    {
        if (_head - _tail == _ring.Length)
        {
            Resize(_ring.Length * 2);
        }

        entry.Sequence = _head;
        entry.AppendedAt = now;
        Volatile.Write(ref _ring[_head & (_ring.Length - 1)], entry);
        _bytes += entry.Bytes;
        Volatile.Write(ref _head, _head + 1); // published: readers may look it up from here on
    }

    /// <summary>
    /// A new ring with the live entries at their places; readers holding the old one still find valid (immutable)
    /// entries in it, and <see cref="Find"/> checks sequences, so swapping under them is safe.
    /// </summary>
    private void Resize(int length)
    {
        var ring = new LogEntry?[length];
        for (var sequence = _tail; sequence < _head; sequence++)
        {
            ring[sequence & (length - 1)] = _ring[sequence & (_ring.Length - 1)];
        }

        Volatile.Write(ref _ring, ring);
    }

    /// <summary>A position published whole (a 12-byte struct cannot be written atomically).</summary>
    private sealed record RoutedMark(ChangePosition Position);
}
