using MadBase.Edge.Realtime.Delivery;
using MadBase.Edge.Replication;

namespace MadBase.Edge.Realtime.Resume;

/// <summary>
/// The committed transactions of the last resume window, as encoded once by replication (docs/ARCHITECTURE.md,
/// "Resume"): what a rejoining channel missed is routed again from here, through its own filters and RLS. Unlike the
/// <see cref="DeliveryLog"/>, which holds frames for the sockets that exist, this holds the changes themselves, so a
/// channel that did not exist when they were routed can still be given them.
/// </summary>
/// <remarks>
/// Invariant, kept here: every transaction that ends after <see cref="FloorLsn"/> and was routed is held, in commit
/// order. The floor starts at the slot's confirmed position when the first stream starts (after a restart the slot
/// streams everything above it again, so the window is rebuilt from PostgreSQL's WAL), and moves up only when a
/// transaction is evicted (older than the window, or over the byte bound). Only the router changes it and reads it,
/// except <see cref="ConfirmableBefore"/>, the resume keeper's question, which reads the queue under <c>_changing</c>
/// (the router's changes take it; its own reads need not).
/// </remarks>
internal sealed class ChangeHistory(TimeSpan window, long maxBytes, TimeProvider time)
{
    private readonly Queue<Held> _transactions = new();
    private readonly Lock _changing = new();
    private long _bytes;
    private long _floor = -1;
    private long _start = -1;
    private long _floorTicks = long.MaxValue; // commit times at or before it may not be held (UTC ticks)

    /// <summary>Transactions ending above this are all held; null until replication has started once.</summary>
    public ulong? FloorLsn => Volatile.Read(ref _floor) is var floor and >= 0 ? (ulong)floor : null;

    /// <summary>JSON bytes held (<see cref="ChangeTransaction.DataBytes"/>; the bound counts these).</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>
    /// Whether <paramref name="transaction"/> is held with its encoded JSON once routed. One over the byte bound is
    /// still held until the next one arrives (the newest always stays) but as its values only: the router lets its
    /// JSON go change by change as it routes (a 200,000-row transaction would otherwise sit whole in memory as JSON),
    /// and a replay from it encodes again.
    /// </summary>
    public bool KeepsEncoded(ChangeTransaction transaction) => window > TimeSpan.Zero && transaction.DataBytes <= maxBytes;

    public int Count => _transactions.Count;

    /// <summary>The first stream of this process starts after <paramref name="confirmedLsn"/>: the floor, once.</summary>
    public void Start(ulong confirmedLsn)
    {
        if (Interlocked.CompareExchange(ref _start, (long)confirmedLsn, -1) == -1)
        {
            Interlocked.CompareExchange(ref _floor, (long)confirmedLsn, -1);

            // What the slot had confirmed was committed before now; a second's margin for the database's clock.
            Volatile.Write(ref _floorTicks, (time.GetUtcNow() + TimeSpan.FromSeconds(1)).UtcTicks);
        }
    }

    /// <summary>
    /// Transactions up to <paramref name="lsn"/> were never routed here (cluster mode: the change stream removed them
    /// before this node read them): nothing held below can be resumed across that hole, so the history starts again.
    /// </summary>
    public void Restart(ulong lsn)
    {
        lock (_changing)
        {
            _transactions.Clear();
        }

        Volatile.Write(ref _bytes, 0);
        Volatile.Write(ref _floor, (long)lsn);
        Volatile.Write(ref _floorTicks, (time.GetUtcNow() + TimeSpan.FromSeconds(1)).UtcTicks);
    }

    /// <summary>
    /// A channel that joined before this process routed anything stands at <see cref="ChangePosition.None"/>: it needs
    /// everything this process streams, i.e. everything after where its first stream started.
    /// </summary>
    public ChangePosition Normalize(ChangePosition position) =>
        position == ChangePosition.None && Volatile.Read(ref _start) is var start and >= 0 ? ChangePosition.After((ulong)start) : position;

    /// <summary>Whether every change after <paramref name="position"/> is still held (or was never committed).</summary>
    public bool Covers(ChangePosition position)
    {
        position = Normalize(position);
        return FloorLsn is { } floor && (position.CommitLsn > floor || position == ChangePosition.After(floor));
    }

    /// <summary>Whether every transaction committed at or after <paramref name="since"/> is held.</summary>
    public bool CoversSince(DateTimeOffset since) => FloorLsn is not null && since.UtcTicks > Volatile.Read(ref _floorTicks);

    /// <summary>Keeps a routed transaction (the router's call, in commit order), then lets go of what is out of bounds.</summary>
    public void Append(ChangeTransaction transaction)
    {
        if (window <= TimeSpan.Zero)
        {
            return;
        }

        lock (_changing)
        {
            _transactions.Enqueue(new Held(transaction, time.GetTimestamp()));
        }

        Interlocked.Add(ref _bytes, transaction.DataBytes);
        Trim();
    }

    /// <summary>Evicts transactions older than the window or over the byte bound (the newest one always stays).</summary>
    public void Trim()
    {
        var now = time.GetTimestamp();
        while (_transactions.TryPeek(out var oldest)
            && (_bytes > maxBytes && _transactions.Count > 1 || time.GetElapsedTime(oldest.At, now) > window))
        {
            lock (_changing)
            {
                _transactions.Dequeue();
            }

            Interlocked.Add(ref _bytes, -oldest.Transaction.DataBytes);
            Volatile.Write(ref _floor, Math.Max(Volatile.Read(ref _floor), (long)oldest.Transaction.EndLsn));
            Volatile.Write(ref _floorTicks, Math.Max(Volatile.Read(ref _floorTicks), oldest.Transaction.CommitTimestamp.UtcTicks));
        }
    }

    /// <summary>
    /// Where a rejoin by commit time starts: just before the first held transaction committed at or after
    /// <paramref name="since"/> (everything held from there on is sent: at least once), or after the newest held one.
    /// Check <see cref="CoversSince"/> first.
    /// </summary>
    public ChangePosition StartOf(DateTimeOffset since)
    {
        var last = ChangePosition.After((ulong)Math.Max(Volatile.Read(ref _floor), 0));
        foreach (var held in _transactions)
        {
            if (held.Transaction.CommitTimestamp >= since)
            {
                return ChangePosition.Before(held.Transaction.EndLsn);
            }

            last = ChangePosition.After(held.Transaction.EndLsn);
        }

        return last;
    }

    /// <summary>
    /// An LSN the slot may confirm so that it streams the transaction ending at <paramref name="endLsn"/> again after a
    /// restart (a channel stands inside it): the end of the held transaction before it, else the floor. Not
    /// <c>endLsn - 1</c>: PostgreSQL skips a transaction whose commit record starts before the confirmed position, and
    /// <c>endLsn - 1</c> lies inside that record (seen on PostgreSQL 15: the slot then resumed with the next
    /// transaction, and the rest of this one was lost to the channel). Any thread (under the lock the router's changes take).
    /// </summary>
    public ulong ConfirmableBefore(ulong endLsn)
    {
        lock (_changing)
        {
            var before = (ulong)Math.Max(Volatile.Read(ref _floor), 0);
            foreach (var held in _transactions)
            {
                if (held.Transaction.EndLsn >= endLsn)
                {
                    break;
                }

                before = held.Transaction.EndLsn;
            }

            return before;
        }
    }

    /// <summary>The held transactions with changes after <paramref name="position"/>, oldest first.</summary>
    public IEnumerable<ChangeTransaction> After(ChangePosition position)
    {
        foreach (var held in _transactions)
        {
            if (held.Transaction.EndLsn >= position.CommitLsn && ChangePosition.After(held.Transaction.EndLsn) > position)
            {
                yield return held.Transaction;
            }
        }
    }

    private readonly record struct Held(ChangeTransaction Transaction, long At);
}
