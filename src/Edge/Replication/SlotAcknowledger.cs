namespace MadBase.Edge.Replication;

/// <summary>
/// The one owner of the rule "acknowledge only what was handed off" (docs/protocol/pgoutput.md §Acknowledging and
/// resuming). It is told what the read loop received and accepted, what was handed off, and the resume ceiling, and
/// answers the one position the status loop may report as flushed (<see cref="Confirmable"/>).
/// </summary>
/// <remarks>
/// <para>
/// Invariant, kept here: the confirmed position is never above the <c>Commit.end_lsn</c> of a transaction that was
/// accepted but not yet handed off, never above the <see cref="Ceiling"/>, and never moves back. In detail:
/// </para>
/// <list type="bullet">
/// <item><b>Accepted</b> (<see cref="Accept"/>): the read loop completed a transaction and is about to queue it for
/// encoding. Recorded <i>before</i> it is queued, so the status loop can never confirm past it ahead of its hand-off.
/// An <c>end_lsn</c> at or below the last accepted one is a re-send (the slot is at least once) and is refused.</item>
/// <item><b>Handed off</b>: single node — the router appended every change to the delivery log the sockets read
/// (<see cref="Routed"/>, via <c>ChangeFeed.MarkDispatched</c>); cluster mode — the change bus (JetStream) holds it
/// (<see cref="Published"/>); there the router's dispatches are of what it read back from the bus and are not this
/// slot's hand-off. A transaction with no published change takes the same road as the others, so it can never
/// overtake an earlier one still on its way. Transactions are handed off in commit order by one stage, so the
/// highest handed-off <c>end_lsn</c> covers everything before it.</item>
/// <item><b>Restored</b> (<see cref="Restore"/>): in cluster mode, at a leader's start, what the bus already holds
/// counts as accepted and handed off: its re-sends are skipped and the slot may move past it — but not into a
/// transaction the bus holds only the first chunks of (<see cref="ChangeBusLead"/>).</item>
/// <item><b>Idle advance</b>: when no message is being handled, no transaction (or streamed transaction) is open
/// and every accepted transaction was handed off, the last received position (keepalive <c>walEnd</c>) is
/// confirmable too, so a database whose published tables are quiet never pins WAL. A message received but not yet
/// taken by the read loop can only be a Begin here (an open transaction blocks the rule); confirming a Begin's LSN
/// makes the server send that transaction again, never skip it.</item>
/// <item><b>Ceiling</b>: the resume window (<c>Realtime/Resume/ResumeKeeper</c>) holds the confirmed position at or
/// below the oldest position a rejoining client may still need, so after a kill -9 the slot streams the window
/// again. <see cref="ulong.MaxValue"/>: no ceiling (resume off, or cluster mode, where the bus keeps the window).</item>
/// </list>
/// <para>
/// Threads: the read loop calls <see cref="SessionStarted"/>, <see cref="MessageTaken"/>, <see cref="MessageHandled"/>,
/// <see cref="SessionEnded"/> and <see cref="Accept"/>; the hand-off stage and the router report hand-offs; the
/// resume keeper sets the ceiling; the status loop asks <see cref="Confirmable"/>. Each field is one word written
/// atomically; the hand-off position only rises.
/// </para>
/// </remarks>
internal sealed class SlotAcknowledger(bool handOffIsChangeBus)
{
    private long _accepted;
    private long _handedOff;
    private long _ceiling = -1; // as ulong: MaxValue, no ceiling
    private long _idleThrough;

    // 1 while the read loop handles a message, or a transaction or streamed transaction is open; and between sessions.
    private volatile int _busy;

    /// <summary>Cluster mode: the hand-off is the change bus's acknowledgement (<see cref="Published"/>), not routing.</summary>
    public bool HandOffIsChangeBus { get; } = handOffIsChangeBus;

    /// <summary>
    /// The highest position the slot may be confirmed to, whatever was handed off: the resume window keeps WAL that
    /// rejoining clients may still need after a crash (docs/ARCHITECTURE.md, "Resume"). MaxValue: none.
    /// </summary>
    public ulong Ceiling
    {
        get => (ulong)Interlocked.Read(ref _ceiling);
        set => Interlocked.Exchange(ref _ceiling, (long)value);
    }

    /// <summary>End LSN of the last transaction accepted (or restored): anything at or below it is a re-send.</summary>
    public ulong LastAccepted => (ulong)Interlocked.Read(ref _accepted);

    /// <summary>End LSN of the last transaction handed off (or restored).</summary>
    public ulong HandedOffThrough => (ulong)Interlocked.Read(ref _handedOff);

    /// <summary>
    /// The last position found idle: every transaction ending at or below it was handed off, and nothing else in the
    /// WAL up to it concerns the publication. Resume positions move up to it, so clients that are caught up never hold
    /// the slot back while the database writes only what is not published.
    /// </summary>
    public ulong IdleThrough => (ulong)Interlocked.Read(ref _idleThrough);

    /// <summary>A replication session starts: nothing of it is received yet and nothing of it is open.</summary>
    public void SessionStarted() => _busy = 0;

    /// <summary>
    /// The session ended (or broke): until the next one starts, nothing received is vouched for. (The status loop of
    /// the ended session may still tick once while it stops.)
    /// </summary>
    public void SessionEnded() => _busy = 1;

    /// <summary>The read loop took a message; until <see cref="MessageHandled"/> the received position is not safe.</summary>
    public void MessageTaken() => _busy = 1;

    /// <summary>
    /// The read loop handled the message: a transaction it completed was accepted and queued. While
    /// <paramref name="transactionOpen"/> (a transaction or a streamed one still open), its LSNs must not be confirmed.
    /// </summary>
    public void MessageHandled(bool transactionOpen) => _busy = transactionOpen ? 1 : 0;

    /// <summary>
    /// A transaction ending at <paramref name="endLsn"/> was committed and is about to be queued for hand-off. False:
    /// a re-send of one already accepted (at least once delivery after a reconnect): skip it.
    /// </summary>
    public bool Accept(ulong endLsn)
    {
        if (endLsn <= LastAccepted)
        {
            return false;
        }

        Interlocked.Exchange(ref _accepted, (long)endLsn);
        return true;
    }

    /// <summary>
    /// At start: transactions ending at or below <paramref name="resendsThrough"/> are re-sends (accepted), and everything
    /// up to <paramref name="heldThrough"/> is already held where subscribers read from (the bus's last whole
    /// transaction): handed off. Never the change log's last commit: subscribers do not read from it. Below the first when the bus holds only the first chunks of the
    /// transaction above it (<see cref="ChangeBusLead"/>): nothing is confirmable then until that one is handed off again.
    /// </summary>
    public void Restore(ulong resendsThrough, ulong heldThrough)
    {
        if (resendsThrough > LastAccepted)
        {
            Interlocked.Exchange(ref _accepted, (long)resendsThrough);
        }

        if (heldThrough > 0)
        {
            RaiseHandedOff(heldThrough);
        }
    }

    /// <summary>
    /// The router appended every change of the transaction ending at <paramref name="endLsn"/> to the delivery log.
    /// The hand-off on a single node; in cluster mode it is what the router read back from the bus, and ignored.
    /// </summary>
    public void Routed(ulong endLsn)
    {
        if (!HandOffIsChangeBus)
        {
            RaiseHandedOff(endLsn);
        }
    }

    /// <summary>
    /// Cluster mode: the bus holds the transaction ending at <paramref name="endLsn"/> (or it had no change to publish,
    /// and every earlier one was published).
    /// </summary>
    public void Published(ulong endLsn) => RaiseHandedOff(endLsn);

    /// <summary>
    /// The position to report as flushed, given the last position the connection received (keepalive walEnd). It counts
    /// only when idle: no message being handled, nothing open, everything accepted handed off.
    /// </summary>
    public ulong Confirmable(ulong lastReceived)
    {
        var handedOff = HandedOffThrough;
        var idle = _busy == 0 && handedOff >= LastAccepted;
        var confirmable = idle ? Math.Max(handedOff, lastReceived) : handedOff;
        if (idle && confirmable > IdleThrough)
        {
            Interlocked.Exchange(ref _idleThrough, (long)confirmable);
        }

        return Math.Min(confirmable, Ceiling);
    }

    private void RaiseHandedOff(ulong endLsn)
    {
        long current;
        do
        {
            current = Interlocked.Read(ref _handedOff);
            if ((ulong)current >= endLsn)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _handedOff, (long)endLsn, current) != current);
    }
}
