namespace MadBase.Edge.Replication;

/// <summary>
/// The changes of one committed transaction, in commit order. The consumer (the realtime router) calls
/// <see cref="MarkDispatched"/> once it has handed every change to every subscriber's outbound queue; only then
/// does the replication stream acknowledge <see cref="EndLsn"/> to PostgreSQL.
/// </summary>
internal sealed class ChangeTransaction(ulong endLsn, DateTimeOffset commitTimestamp, IReadOnlyList<ChangeEvent> changes, Action<ulong> onDispatched)
{
    private int _dispatched;

    public ulong EndLsn { get; } = endLsn;

    public DateTimeOffset CommitTimestamp { get; } = commitTimestamp;

    public IReadOnlyList<ChangeEvent> Changes { get; } = changes;

    public bool IsDispatched => Volatile.Read(ref _dispatched) == 1;

    public void MarkDispatched()
    {
        if (Interlocked.Exchange(ref _dispatched, 1) == 0)
        {
            onDispatched(EndLsn);
        }
    }
}
