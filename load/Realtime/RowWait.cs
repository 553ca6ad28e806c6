using System.Diagnostics;

namespace MadBase.Load.Realtime;

/// <summary>Bounded waits on clients' row records: until a condition holds, the budget is spent, or rows stop coming.</summary>
internal static class RowWait
{
    /// <summary>
    /// Polls every 5 ms until <paramref name="done"/> holds for every track. Gives up after <paramref name="budget"/>,
    /// or once no track received anything for <paramref name="stall"/> (lost rows never come; waiting longer only
    /// spends the budget). Prints progress every 10 s. Returns whether the condition held.
    /// </summary>
    public static bool Until(IReadOnlyList<RowTrack> tracks, Func<RowTrack, bool> done, TimeSpan budget, TimeSpan stall, string what)
    {
        var clock = Stopwatch.StartNew();
        var sinceProgress = Stopwatch.StartNew();
        long last = -1;
        var nextReport = TimeSpan.FromSeconds(10);
        while (true)
        {
            long received = 0;
            int pending = 0;
            foreach (RowTrack track in tracks)
            {
                received += track.Received;
                pending += done(track) ? 0 : 1;
            }

            if (pending == 0)
            {
                return true;
            }

            if (received != last)
            {
                last = received;
                sinceProgress.Restart();
            }

            if (clock.Elapsed > budget || sinceProgress.Elapsed > stall)
            {
                Console.WriteLine($"{what}: gave up after {clock.Elapsed.TotalSeconds:F1} s ({pending} clients not done, {received} rows received, none for {sinceProgress.Elapsed.TotalSeconds:F1} s)");
                return false;
            }

            if (clock.Elapsed > nextReport)
            {
                Console.WriteLine($"{what}: {clock.Elapsed.TotalSeconds:F0} s, {received} rows received, {pending} clients not done");
                nextReport += TimeSpan.FromSeconds(10);
            }

            Thread.Sleep(5);
        }
    }
}
