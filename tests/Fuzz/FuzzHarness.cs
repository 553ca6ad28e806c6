namespace MadBase.Fuzz;

/// <summary>
/// Feeds one fuzz input to a codec. Returns normally when the codec accepted the input or refused it with its own
/// typed error; anything else that escapes (another exception, a <see cref="FuzzFindingException"/> for a broken
/// invariant) is a finding.
/// </summary>
internal delegate void FuzzHarness(ReadOnlySpan<byte> input);
