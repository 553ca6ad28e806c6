namespace MadBase.Edge.Replication;

/// <summary>
/// The changes of one committed transaction, in commit order, encoded once and immutable. It carries no hand-off
/// state: the <see cref="ChangeFeed"/> counts its bytes until the router marks it dispatched, and the
/// <see cref="SlotAcknowledger"/> decides when its <see cref="EndLsn"/> may be acknowledged.
/// </summary>
internal sealed class ChangeTransaction(ulong endLsn, DateTimeOffset commitTimestamp, IReadOnlyList<ChangeEvent> changes)
{
    public ulong EndLsn { get; } = endLsn;

    public DateTimeOffset CommitTimestamp { get; } = commitTimestamp;

    public IReadOnlyList<ChangeEvent> Changes { get; } = changes;

    /// <summary>
    /// The changes' <c>data</c> JSON bytes, as counted when the transaction was made (estimated for changes not
    /// encoded yet: <see cref="ChangeEvent.DataBytes"/>): the unit of the feed's and the history's memory budgets.
    /// </summary>
    public long DataBytes { get; } = changes.Sum(c => c.DataBytes);

    /// <summary>
    /// Cluster mode: transactions before this one were lost to this node (the change stream removed them before it read
    /// them). The router tells postgres_changes subscribers and restarts its history here.
    /// </summary>
    public bool AfterGap { get; init; }
}
