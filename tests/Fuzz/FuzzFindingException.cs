namespace MadBase.Fuzz;

/// <summary>
/// A finding that is not an exception of the codec itself: a broken invariant (two decoding paths disagree, a
/// round trip changes the value) or an allocation beyond the target's budget. AFL records it as a crash.
/// </summary>
internal sealed class FuzzFindingException(string message) : Exception(message);
