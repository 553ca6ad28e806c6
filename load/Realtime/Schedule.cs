namespace MadBase.Load.Realtime;

/// <summary>What the publisher actually did during one step.</summary>
internal readonly record struct ScheduleResult(long Published, long FirstSendMicros, long LastSendMicros, long MaxLagMicros);

/// <summary>
/// Publishes on an absolute schedule: tick k is due at start + k / rate, whatever happened to earlier ticks, so a
/// slow publish shows up as lag instead of silently lowering the offered rate. Ticks that fall due together (the
/// sleep granularity is about 1 ms) go out in one call.
/// </summary>
internal static class Schedule
{
    public static ScheduleResult Run(IPublisher publisher, double ratePerSecond, double seconds)
    {
        long total = Math.Max(1, (long)Math.Round(ratePerSecond * seconds));
        double intervalMicros = 1_000_000.0 / ratePerSecond;
        long start = Clock.NowMicros();
        long sent = 0;
        long maxLag = 0;
        long firstSend = 0;
        long lastSend = 0;
        while (sent < total)
        {
            long now = Clock.NowMicros();
            long dueAt = start + (long)(sent * intervalMicros);
            if (now < dueAt)
            {
                Thread.Sleep(TimeSpan.FromMicroseconds(Math.Max(1000, dueAt - now)));
                continue;
            }

            // At least the tick that is due: dueAt was truncated to whole microseconds, so the division can land
            // just below `sent` when the interval is fractional (e.g. 350/s).
            long due = Math.Min(total, Math.Max(sent + 1, (long)((now - start) / intervalMicros) + 1));
            maxLag = Math.Max(maxLag, now - dueAt);
            lastSend = now;
            if (sent == 0)
            {
                firstSend = now;
            }

            publisher.Publish((int)(due - sent));
            sent = due;
        }

        return new ScheduleResult(sent, firstSend, lastSend, maxLag);
    }
}
