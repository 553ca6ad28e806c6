using System.Diagnostics;

namespace MadBase.Load.Realtime;

/// <summary>
/// One monotonic microsecond clock for publisher and subscribers. Both live in this process, so the timestamp a
/// publisher writes into a message is directly comparable with the subscriber's receive time.
/// </summary>
internal static class Clock
{
    private static readonly double s_ticksPerMicro = Stopwatch.Frequency / 1_000_000.0;

    public static long NowMicros() => (long)(Stopwatch.GetTimestamp() / s_ticksPerMicro);
}
