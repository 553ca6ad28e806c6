using MadBase.Edge.Realtime.Delivery;

namespace MadBase.Edge.Realtime.Resume;

/// <summary>
/// One live postgres_changes channel's resume positions: <paramref name="Written"/>, what its socket handed to the
/// kernel (what a client still gets after a kill -9 of the server), and <paramref name="Proven"/>, what the client has
/// shown it received (what it surely has after a network cut).
/// </summary>
internal readonly record struct ResumePoint(ResumeKey Key, ChangePosition Written, ChangePosition Proven);
