namespace MadBase.Edge.Replication;

/// <summary>
/// The changes of one committed transaction, in commit order. The consumer (the realtime router) calls
/// <see cref="MarkDispatched"/> once it has appended every change to the delivery log the sockets read; only then
/// does the replication stream acknowledge <see cref="EndLsn"/> to PostgreSQL.
/// </summary>
internal sealed class ChangeTransaction(ulong endLsn, DateTimeOffset commitTimestamp, IReadOnlyList<ChangeEvent> changes, Action<ulong> onDispatched)
{
    private int _dispatched;
    private Action? _release;

    public ulong EndLsn { get; } = endLsn;

    public DateTimeOffset CommitTimestamp { get; } = commitTimestamp;

    public IReadOnlyList<ChangeEvent> Changes { get; } = changes;

    /// <summary>Total encoded JSON bytes of the changes (the feed's memory budget unit).</summary>
    public long EncodedBytes { get; } = changes.Sum(c => (long)c.DataJson.Length);

    public bool IsDispatched => Volatile.Read(ref _dispatched) == 1;

    /// <summary>
    /// Cluster mode: transactions before this one were lost to this node (the change stream removed them before it read
    /// them). The router tells postgres_changes subscribers and restarts its history here.
    /// </summary>
    public bool AfterGap { get; init; }

    public void MarkDispatched()
    {
        if (Interlocked.Exchange(ref _dispatched, 1) == 0)
        {
            Interlocked.Exchange(ref _release, null)?.Invoke();
            onDispatched(EndLsn);
        }
    }

    /// <summary>Registers the feed's budget release; runs at once if already dispatched.</summary>
    internal void OnDispatchedRelease(Action release)
    {
        Volatile.Write(ref _release, release);
        if (IsDispatched)
        {
            // Dispatched between construction and registration: release now (at most once, via Exchange).
            Interlocked.Exchange(ref _release, null)?.Invoke();
        }
    }
}
