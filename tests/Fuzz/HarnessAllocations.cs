namespace MadBase.Fuzz;

/// <summary>
/// Bytes a harness allocates for its own cross-checks (a copy of the input, a chain of one-byte segments per frame
/// header), counted so <see cref="FuzzTarget"/> can leave them out of the codec's allocation budget. Without this the
/// long runs' findings were the harnesses' own: the WebSocket harness split every frame's header into segments (11 MB
/// for a 31.5 KB stream of tiny frames), the HTTP head harness the whole input into 1-32 byte segments.
/// </summary>
internal static class HarnessAllocations
{
    [ThreadStatic]
    private static long t_bytes;

    /// <summary>Excluded bytes since the last <see cref="Reset"/>, on this thread.</summary>
    public static long Bytes => t_bytes;

    public static void Reset() => t_bytes = 0;

    /// <summary>Marks the start of harness-only work: pass the result to <see cref="End"/>.</summary>
    public static long Begin() => GC.GetAllocatedBytesForCurrentThread();

    /// <summary>Counts what was allocated since <paramref name="begin"/> as the harness's own.</summary>
    public static void End(long begin) => t_bytes += GC.GetAllocatedBytesForCurrentThread() - begin;
}
