namespace MadBase.Edge.Replication;

/// <summary>
/// Decides which LSN may be reported as flushed (docs/protocol/pgoutput.md §Acknowledging and resuming). A
/// transaction's <c>Commit.end_lsn</c> becomes ackable when the router has dispatched it; transactions are dispatched
/// in commit order by one reader, so the latest dispatched end LSN covers everything before it. When nothing is pending
/// — no transaction open in the stream, every written transaction dispatched — the latest received position (keepalive
/// walEnd) is ackable too, so a quiet database never pins WAL.
/// </summary>
internal sealed class AckTracker
{
    private long _written;
    private long _dispatched;
    private long _ceiling = -1; // as ulong: MaxValue, no ceiling
    private long _idleThrough;

    /// <summary>The stream wrote a transaction ending at <paramref name="endLsn"/> into the feed.</summary>
    public void Written(ulong endLsn) => Interlocked.Exchange(ref _written, (long)endLsn);

    /// <summary>The router dispatched the transaction ending at <paramref name="endLsn"/>.</summary>
    public void Dispatched(ulong endLsn)
    {
        long current;
        do
        {
            current = Interlocked.Read(ref _dispatched);
            if ((ulong)current >= endLsn)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _dispatched, (long)endLsn, current) != current);
    }

    /// <summary>
    /// The highest position the slot may be acknowledged to, whatever was dispatched: the resume window keeps WAL that
    /// rejoining clients may still need after a crash (docs/ARCHITECTURE.md, "Resume"). MaxValue: none.
    /// </summary>
    public ulong Ceiling
    {
        get => (ulong)Interlocked.Read(ref _ceiling);
        set => Interlocked.Exchange(ref _ceiling, (long)value);
    }

    /// <summary>
    /// The last position found idle: every transaction ending at or below it was dispatched, and nothing else in the
    /// WAL up to it concerns the publication. Resume positions move up to it, so clients that are caught up never hold
    /// the slot back while the database writes only what is not published.
    /// </summary>
    public ulong IdleThrough => (ulong)Interlocked.Read(ref _idleThrough);

    public ulong LastDispatched => (ulong)Interlocked.Read(ref _dispatched);

    /// <summary>End LSN of the last transaction handed to the feed: anything at or below it is a re-send.</summary>
    public ulong LastWritten => (ulong)Interlocked.Read(ref _written);

    /// <summary>
    /// The position to report. <paramref name="lastReceived"/> counts only when nothing is pending; a message that
    /// was received but not yet processed can only be a Begin here (an open transaction blocks the idle rule), and
    /// acknowledging a Begin's LSN makes the server resend that transaction, never skip it.
    /// </summary>
    public ulong Ackable(bool transactionOpen, ulong lastReceived)
    {
        var dispatched = (ulong)Interlocked.Read(ref _dispatched);
        var written = (ulong)Interlocked.Read(ref _written);
        var idle = !transactionOpen && dispatched >= written;
        var ackable = idle ? Math.Max(dispatched, lastReceived) : dispatched;
        if (idle && ackable > IdleThrough)
        {
            Interlocked.Exchange(ref _idleThrough, (long)ackable);
        }

        return Math.Min(ackable, Ceiling);
    }
}
