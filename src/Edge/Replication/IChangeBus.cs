namespace MadBase.Edge.Replication;

/// <summary>
/// Cluster mode's hand-off of committed transactions: the slot leader gives each one to a bus every node reads
/// (<c>Cluster/Changes/ChangeBus</c>, a JetStream stream) instead of to its own <see cref="ChangeFeed"/>, and the slot
/// is acknowledged only once the bus has stored it. Not registered on a single node.
/// </summary>
internal interface IChangeBus
{
    /// <summary>
    /// Called when this process has just taken the slot, before it streams: fences any earlier leader and says what the
    /// bus holds (<see cref="ChangeBusLead"/>): the re-sends to skip, and how far the slot may be confirmed.
    /// </summary>
    Task<ChangeBusLead> TakeLeadAsync(CancellationToken cancellationToken);

    /// <summary>Returns once the bus holds <paramref name="transaction"/> durably; retries while the bus is unreachable.</summary>
    /// <exception cref="ChangeBusFencedException">Another leader has written to the bus since this one took the lead.</exception>
    Task PublishAsync(ChangeTransaction transaction, CancellationToken cancellationToken);
}

/// <summary>This process is no longer the leader: a newer one has written to the bus. Its transaction is not acknowledged.</summary>
internal sealed class ChangeBusFencedException(string message) : Exception(message);
