using MadBase.Edge.Realtime.Delivery;

namespace MadBase.Edge.Realtime.Resume;

/// <summary>
/// Cluster mode: the resume window shared between nodes, so a client whose node died (or that a load balancer sends
/// elsewhere) resumes on any node. Each node offers its state (what its state file holds) every second it changes;
/// a join that finds nothing of its key here asks what the other nodes last offered.
/// </summary>
internal interface IResumeShare
{
    /// <summary>This node's current state (<see cref="ResumeStateFile"/> bytes); the latest one wins.</summary>
    void Offer(byte[] state);

    /// <summary>The lowest unexpired position of <paramref name="key"/> in the other nodes' last states, if any.</summary>
    ChangePosition? Lowest(ResumeKey key, DateTimeOffset now);
}
