using MadBase.Edge.Diagnostics;

namespace MadBase.Edge.Replication;

/// <summary>
/// What the replication stream reports about itself: acknowledged position, slot health and lag, for /ready and
/// /metrics. Written by the stream and its monitor, read by scrapes.
/// </summary>
internal sealed class ReplicationState
{
    private long _ackedLsn;
    private long _slotLagBytes = -1;
    private int _connected;
    private int _invalidated;

    private long _firstStreamedAfter = -1;

    public ReplicationState(EdgeMetrics metrics, Readiness readiness)
    {
        Events = metrics.Counter("madbase_replication_events_total", "Row changes decoded from the replication stream and handed to the fan-out.");
        Transactions = metrics.Counter("madbase_replication_transactions_total", "Committed transactions handed to the fan-out.");
        Reconnects = metrics.Counter("madbase_replication_reconnects_total", "Replication connections lost and retried.");
        metrics.Gauge("madbase_replication_last_ack_lsn", "Last LSN acknowledged to PostgreSQL (flush), as a number.", () => (ulong)Interlocked.Read(ref _ackedLsn));
        metrics.Gauge("madbase_replication_slot_lag_bytes", "pg_current_wal_lsn() - confirmed_flush_lsn of the slot (-1 when unknown).", () => Interlocked.Read(ref _slotLagBytes));
        metrics.Gauge("madbase_replication_connected", "1 while this process streams from the slot.", () => Volatile.Read(ref _connected));
        metrics.Gauge("madbase_replication_slot_invalidated", "1 when the slot's wal_status is lost: changes were lost.", () => Volatile.Read(ref _invalidated));
        readiness.Add("replication_slot", _ => ValueTask.FromResult(IsInvalidated
            ? ReadinessResult.Fail("replication slot invalidated (wal_status = lost): drop it to recreate; changes in the gap are lost")
            : ReadinessResult.Pass(IsConnected ? "streaming" : "not streaming")));
    }

    public Counter Events { get; }

    public Counter Transactions { get; }

    public Counter Reconnects { get; }

    public ulong AckedLsn => (ulong)Interlocked.Read(ref _ackedLsn);

    public bool IsConnected => Volatile.Read(ref _connected) == 1;

    public bool IsInvalidated => Volatile.Read(ref _invalidated) == 1;

    /// <summary>
    /// The slot's confirmed position when this process first streamed (-1 before): everything committed above it
    /// reaches the router in this process's life, which is what the resume history counts on.
    /// </summary>
    public long FirstStreamedAfter => Interlocked.Read(ref _firstStreamedAfter);

    public void SetFirstStreamedAfter(ulong lsn) => Interlocked.CompareExchange(ref _firstStreamedAfter, (long)lsn, -1);

    public void SetAcked(ulong lsn) => Interlocked.Exchange(ref _ackedLsn, (long)lsn);

    public void SetConnected(bool connected) => Volatile.Write(ref _connected, connected ? 1 : 0);

    public void SetInvalidated(bool invalidated) => Volatile.Write(ref _invalidated, invalidated ? 1 : 0);

    public void SetLag(long bytes) => Interlocked.Exchange(ref _slotLagBytes, bytes);
}
