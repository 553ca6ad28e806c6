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

    /// <summary>Total encoded JSON bytes of the changes (the feed's memory budget unit).</summary>
    public long EncodedBytes { get; } = changes.Sum(c => (long)c.DataJson.Length);

    /// <summary>
    /// Cluster mode: transactions before this one were lost to this node (the change stream removed them before it read
    /// them). The router tells postgres_changes subscribers and restarts its history here.
    /// </summary>
    public bool AfterGap { get; init; }
}
