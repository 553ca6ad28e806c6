namespace MadBase.Edge.Realtime.Authorization;

/// <summary>
/// What one private channel may do, from the <c>realtime.messages</c> policies
/// (docs/protocol/realtime.md §Private channels). Null means "not evaluated yet": reads are evaluated at join (presence
/// only when presence is on), writes lazily at the first broadcast or track. Immutable: a channel swaps the whole
/// value, so fan-out threads read it without locks.
/// </summary>
internal sealed record ChannelPolicies(bool? BroadcastRead, bool? PresenceRead, bool? BroadcastWrite, bool? PresenceWrite)
{
    /// <summary>Public channels and <c>service_role</c>: everything, nothing to evaluate.</summary>
    public static ChannelPolicies All { get; } = new(true, true, true, true);

    public static ChannelPolicies None { get; } = new(null, null, null, null);

    /// <summary>A join needs to read at least one of its extensions.</summary>
    public bool CanJoin => BroadcastRead == true || PresenceRead == true;

    public bool WritesEvaluated => BroadcastWrite is not null && PresenceWrite is not null;

    /// <summary>
    /// True when a read granted here is denied by <paramref name="next"/> (an <c>access_token</c> refresh):
    /// upstream then closes the channel. A read that was never evaluated cannot be lost.
    /// </summary>
    public bool LosesReadIn(ChannelPolicies next) =>
        (BroadcastRead == true && next.BroadcastRead != true) || (PresenceRead == true && next.PresenceRead != true);

    public ChannelPolicies WithWrites(bool broadcast, bool presence) => this with { BroadcastWrite = broadcast, PresenceWrite = presence };
}
