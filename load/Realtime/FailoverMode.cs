using System.Diagnostics;
using System.Globalization;

namespace MadBase.Load.Realtime;

/// <summary>
/// <c>failover</c> (issue #19, cluster mode): <c>--subscribers</c> N spread over the nodes (<c>--ports</c>, <c>--pids</c>),
/// rows committed at <c>--rate</c> rows/s (one per transaction) for <c>--seconds</c>; after <c>--kill-after-seconds</c>
/// the driver kills <c>--kill-pid</c> (one of the nodes, the slot leader: SIGKILL, as a crash) between two ticks and the
/// rows go on at the same rate. Reported for the clients of the surviving nodes (the dead node's clients lose their
/// socket; rejoining elsewhere is the cluster tests' subject, not this one's): the time from the kill to the first
/// row committed after it that reaches any of them (the new leader is streaming), and to the same for the last of
/// them; then every row of the run, for each of them, exactly once and in order (missing, duplicates, out of order).
/// </summary>
internal static class FailoverMode
{
    public static int Run(Options options)
    {
        using var run = new PublishingRun(options);
        var (target, subscribers) = (run.Target, run.Subscribers);
        double rate = options.GetDouble("rate", 100);
        double seconds = options.GetDouble("seconds", 20);
        double killAfter = options.GetDouble("kill-after-seconds", 5);
        int killPid = options.GetInt("kill-pid");
        var budget = TimeSpan.FromSeconds(options.GetDouble("timeout-seconds", 120));
        int killed = Array.IndexOf(target.Pids, killPid);
        run.Open(validate: () =>
        {
            if (killed < 0 || target.Pids.Length < 2 || subscribers < target.Pids.Length || killAfter <= 0 || killAfter >= seconds)
            {
                throw new ArgumentException(
                    "--kill-pid must be one of several --pids, --subscribers at least one per node, and 0 < --kill-after-seconds < --seconds.");
            }
        });
        var (pool, publisher) = (run.Pool, run.Publisher);

        // Schedule.Run publishes exactly round(rate x seconds) one-row transactions, and ids of one publisher are consecutive.
        long before = (long)Math.Round(rate * killAfter), after = (long)Math.Round(rate * (seconds - killAfter));
        long first = publisher.NextSeq, firstAfterKill = first + before, last = firstAfterKill + after - 1;
        var survivors = new List<RowTrack>();
        for (int i = 0; i < subscribers; i++)
        {
            if (i % target.Pids.Length != killed)
            {
                var track = new RowTrack(i, first, last) { MarkFromId = firstAfterKill };
                pool[i]!.Track = track;
                survivors.Add(track);
            }
        }

        ScheduleResult runUp = Schedule.Run(publisher, rate, killAfter);
        long killMicros = Clock.NowMicros();
        using (var process = Process.GetProcessById(killPid))
        {
            process.Kill(); // SIGKILL on Linux
        }

        ScheduleResult rest = Schedule.Run(publisher, rate, seconds - killAfter);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{target.Label}: killed {killPid} after {runUp.Published} rows; {rest.Published} more committed at {rate:F0}/s (publish lag max {Math.Max(runUp.MaxLagMicros, rest.MaxLagMicros) / 1000.0:F1} ms)"));

        bool done = RowWait.Until(survivors, t => t.DoneMicros != 0, budget, TimeSpan.FromSeconds(30), "failover");
        var firsts = survivors.Where(t => t.FirstMarkedMicros != 0).Select(t => (t.FirstMarkedMicros - killMicros) / 1000.0).ToArray();
        double firstMs = firsts.Length == 0 ? double.NaN : firsts.Min();
        double allMs = firsts.Length == survivors.Count ? firsts.Max() : double.NaN;
        var report = RowReport.Of(survivors);
        long maxMissing = survivors.Max(t => t.LastId - t.FirstId + 1 - t.Received);
        long maxDuplicates = survivors.Max(t => t.Duplicates);
        int closed = survivors.Count(t => pool[t.Client]!.Closed);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{target.Label}: first row committed after the kill reached a surviving client {firstMs:F0} ms after the kill, every surviving client {allMs:F0} ms after it"));
        Console.WriteLine($"{target.Label}: {survivors.Count} surviving clients: {report.Describe()}; most missing for one client {maxMissing}, most duplicated {maxDuplicates}; {closed} closed");
        run.ReportFirstError();

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT mode=failover server={target.Label} subs={subscribers} survivors={survivors.Count} rate={rate:F0} rows={last - first + 1} " +
            $"killed_pid={killPid} first_after_kill_ms={firstMs:F0} all_after_kill_ms={allMs:F0} {report.ResultFields()} " +
            $"max_missing_per_client={maxMissing} max_duplicates_per_client={maxDuplicates} survivors_closed={closed}"));
        return done && report.EveryRowOnceInOrder ? 0 : 1;
    }
}
