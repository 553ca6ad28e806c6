using System.Diagnostics;
using System.Globalization;

namespace MadBase.Load.Realtime;

/// <summary>
/// <c>resume</c> (issue #18, "replay of 10,000 missed changes to 1,000 rejoining clients"): <c>--subscribers</c> N
/// clients, each with its own identity (<c>--jwt-secret</c>), join the postgres_changes channel and receive
/// <c>--warmup-rows</c> live rows; <c>--heartbeat-rounds</c> Phoenix heartbeats, one second apart, each sent after the
/// previous reply arrived as realtime-js does, prove to the server what each client read; then every socket ends
/// abruptly (RST, no <c>phx_leave</c>). <c>--missed</c> rows are committed, <c>--rows-per-commit</c> per transaction;
/// after <c>--settle-ms</c> every client reconnects with the same identity and rejoins, and one live row is committed
/// once all joins are answered. Every client must then get every missed row and the live row exactly once, in order.
/// </summary>
/// <remarks>
/// Reported: from the first rejoin until every client has all missed rows, and the live row; per client, join sent →
/// its last missed row (what a user waits for) and its first → last replayed row (the replay's own pace: the server
/// replays one channel at a time, so later clients wait for earlier ones); missing, duplicated, out-of-order rows.
/// </remarks>
internal static class ResumeMode
{
    public static int Run(Options options)
    {
        using var run = new PublishingRun(options);
        var (target, subscribers) = (run.Target, run.Subscribers);
        int missed = options.GetInt("missed", 10_000);
        int warmupRows = options.GetInt("warmup-rows", 10);
        int perCommit = options.GetInt("rows-per-commit", 1);
        int rounds = options.GetInt("heartbeat-rounds", 3);
        int settleMs = options.GetInt("settle-ms", 2000);
        var budget = TimeSpan.FromSeconds(options.GetDouble("timeout-seconds", 600));
        run.Open(validate: () =>
        {
            if (missed < 1 || warmupRows < 1 || perCommit < 1 || rounds < 2)
            {
                throw new ArgumentException("--missed, --warmup-rows and --rows-per-commit must be >= 1, --heartbeat-rounds >= 2 (the second proves the first).");
            }
        });
        var (pool, publisher) = (run.Pool, (PgPublisher)run.Publisher);
        long first = publisher.NextSeq, firstMissed = first + warmupRows, live = firstMissed + missed;
        var tracks = new RowTrack[subscribers];
        for (int i = 0; i < subscribers; i++)
        {
            tracks[i] = new RowTrack(i, first, live) { MarkFromId = firstMissed, PhaseThroughId = live - 1 };
            pool[i]!.Track = tracks[i];
        }

        // 1. Live rows, then heartbeats that prove them read.
        publisher.Publish(warmupRows);
        if (!RowWait.Until(tracks, t => t.Received >= warmupRows, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(20), "warm-up"))
        {
            throw new InvalidOperationException($"{target.Label}: warm-up rows did not reach every client: {RowReport.Of(tracks).Describe()}");
        }

        for (int round = 1; round <= rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            int replied = pool.HeartbeatRound(TimeSpan.FromSeconds(10));
            Console.WriteLine($"{target.Label}: heartbeat round {round}: {replied} of {subscribers} replied in {clock.Elapsed.TotalMilliseconds:F0} ms");
            Thread.Sleep(Math.Max(0, 1000 - (int)clock.ElapsedMilliseconds));
        }

        // 2. The drop, and the changes the clients miss.
        pool.AbortAll();
        Thread.Sleep(500); // the server sees the resets and remembers the channels
        var commitClock = Stopwatch.StartNew();
        for (int left = missed; left > 0; left -= perCommit)
        {
            publisher.Publish(Math.Min(perCommit, left));
        }

        double commitSeconds = commitClock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{target.Label}: all sockets reset; {missed} rows committed in {commitSeconds:F1} s ({perCommit} per commit); settling {settleMs} ms"));
        Thread.Sleep(settleMs);

        // 3. Everyone comes back.
        double serverCpu0 = target.CpuSeconds();
        double clientCpu0 = ProcStats.CpuSeconds(Environment.ProcessId);
        var (busy0, total0) = ProcStats.MachineSeconds();
        long t0 = Clock.NowMicros();
        for (int i = 0; i < subscribers; i++)
        {
            if (pool.Reconnect(i) is { } error)
            {
                throw new InvalidOperationException($"{target.Label}: {error}");
            }
        }

        long reconnected = Clock.NowMicros();
        var joinClock = Stopwatch.StartNew();
        while (Enumerable.Range(0, subscribers).Any(i => pool[i] is { Subscribed: false, Closed: false }) && joinClock.Elapsed < TimeSpan.FromSeconds(60))
        {
            Thread.Sleep(5);
        }

        long joined = Clock.NowMicros();
        publisher.Publish(1); // the live row: after the replay, never before it, never twice
        bool done = RowWait.Until(tracks, t => t.DoneMicros != 0, budget, TimeSpan.FromSeconds(30), "rejoin");
        double serverCpu = target.CpuSeconds() - serverCpu0;
        double clientCpu = ProcStats.CpuSeconds(Environment.ProcessId) - clientCpu0;
        var (busy1, total1) = ProcStats.MachineSeconds();
        Session.EnsureServerAlive(target);

        var report = RowReport.Of(tracks);
        var users = RowReport.Distribution("replay", tracks.Where(t => t.PhaseDoneMicros != 0)
            .Select(t => (t.PhaseDoneMicros - pool[t.Client]!.SubscribeSentMicros) / 1000.0));
        var pace = RowReport.Distribution("stream", tracks.Where(t => t.PhaseDoneMicros != 0 && t.FirstMarkedMicros != 0)
            .Select(t => (t.PhaseDoneMicros - t.FirstMarkedMicros) / 1000.0));
        double allMissed = tracks.All(t => t.PhaseDoneMicros != 0) ? (tracks.Max(t => t.PhaseDoneMicros) - t0) / 1000.0 : double.NaN;
        double allLive = done ? (tracks.Max(t => t.DoneMicros) - t0) / 1000.0 : double.NaN;
        double others = total1 > total0 ? Math.Max(0, busy1 - busy0 - serverCpu - clientCpu) / (total1 - total0) * 100 : double.NaN;
        int refused = (int)pool.Counters.Refused;

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{target.Label}: {subscribers} clients rejoined (reconnects sent in {(reconnected - t0) / 1000.0:F0} ms, all joined after {(joined - t0) / 1000.0:F0} ms); " +
            $"every client had all {missed} missed rows {allMissed:F0} ms after the first rejoin, and the live row {allLive:F0} ms after it"));
        Console.WriteLine($"{target.Label}: per client, rejoin sent -> last missed row: {users.Text}");
        Console.WriteLine($"{target.Label}: per client, first -> last replayed row: {pace.Text}");
        Console.WriteLine($"{target.Label}: {report.Describe()}; refusals/system errors {refused}");
        run.ReportFirstError();

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT mode=resume server={target.Label} subs={subscribers} missed={missed} rows_per_commit={perCommit} commit_s={commitSeconds:F2} " +
            $"reconnect_ms={(reconnected - t0) / 1000.0:F0} joined_ms={(joined - t0) / 1000.0:F0} all_missed_ms={allMissed:F0} all_live_ms={allLive:F0} " +
            $"{users.Fields} {pace.Fields} {report.ResultFields()} refused={refused} server_cpu_s={serverCpu:F2} client_cpu_s={clientCpu:F2} other_pct={others:F0}"));
        return done && report.EveryRowOnceInOrder ? 0 : 1;
    }
}
