using MadBase.Edge.Realtime.Delivery;

namespace MadBase.Edge.Realtime.Resume;

/// <summary>
/// One live postgres_changes channel's resume positions: <paramref name="Written"/>, what its socket handed to the
/// transport (the slot's WAL is kept back to it too), and <paramref name="Proven"/>, what the client has shown it
/// received: the only position a rejoin after a crash or a cut may start from.
/// </summary>
internal readonly record struct ResumePoint(ResumeKey Key, ChangePosition Written, ChangePosition Proven);
