using MadBase.Edge.Realtime.Delivery;

namespace MadBase.Edge.Realtime;

/// <summary>
/// A rejoin that took a remembered position: the router sends the channel every change after <paramref name="From"/>
/// from the history (or, with <paramref name="Since"/>, every change committed at or after that time), then registers
/// it for live changes, between two transactions so nothing falls in between.
/// </summary>
internal sealed record ResumeRequest(RealtimeChannel Channel, ChangePosition From, IResumeListener Listener, DateTimeOffset? Since = null);

/// <summary>Told when a resume cannot be served whole (the history no longer holds its position).</summary>
internal interface IResumeListener
{
    void OnResumeGap(RealtimeChannel channel);
}
