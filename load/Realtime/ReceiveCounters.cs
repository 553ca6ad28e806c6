namespace MadBase.Load.Realtime;

/// <summary>A consistent-enough snapshot of receive counters (each value is read atomically; the set is not).</summary>
internal readonly record struct ReceiveCounters(
    long Ticks,
    long Late,
    long Subscribed,
    long Refused,
    long Closed,
    long Errors,
    long Pings,
    long LastTickMicros)
{
    public static ReceiveCounters Sum(ReceiveCounters a, ReceiveCounters b) => new(
        a.Ticks + b.Ticks,
        a.Late + b.Late,
        a.Subscribed + b.Subscribed,
        a.Refused + b.Refused,
        a.Closed + b.Closed,
        a.Errors + b.Errors,
        a.Pings + b.Pings,
        Math.Max(a.LastTickMicros, b.LastTickMicros));
}
