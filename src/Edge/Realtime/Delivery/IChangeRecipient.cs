namespace MadBase.Edge.Realtime.Delivery;

/// <summary>
/// What the log and its readers need of a channel a change is addressed to (a joined channel implements it): whether
/// its join reply is queued yet, and whether it has left. Both are read without locking from the socket's writer.
/// </summary>
internal interface IChangeRecipient
{
    /// <summary>The join's replies are queued: its changes may be written now (before, its socket's reader waits).</summary>
    bool IsLive { get; }

    /// <summary>Left or closed: its changes are skipped and it holds nothing in the log.</summary>
    bool IsClosed { get; }
}
