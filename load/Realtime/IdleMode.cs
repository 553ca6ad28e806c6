using System.Globalization;

namespace MadBase.Load.Realtime;

/// <summary>
/// <c>idle</c>: server RSS per idle subscriber. Measures VmRSS with no connections, then after growing to each of
/// <c>--steps</c> (default 1000,10000) and waiting <c>--settle-ms</c> (default 30000: idle means quiet, and runtimes
/// give memory back when quiet) so lazily-touched memory and the allocator settle: KiB per connection =
/// (RSS_N − RSS_0) / N. MadBase connections are joined channels with a
/// postgres_changes binding, i.e. what a real subscriber costs.
/// </summary>
internal static class IdleMode
{
    public static int Run(Options options)
    {
        var target = Target.FromOptions(options, publishes: false);
        int[] steps = [.. options.GetDoubles("steps", "1000,10000").Select(s => (int)s)];
        int settleMs = options.GetInt("settle-ms", 30000);
        using SubscriberPool pool = Session.CreatePool(options, target, steps.Max());
        options.RejectUnused();

        Thread.Sleep(settleMs);
        long rss0 = ProcStats.RssKiB(target.Pid);
        Console.WriteLine($"{target.Label}: idle RSS {rss0 / 1024.0:F1} MiB with 0 connections");
        foreach (int step in steps)
        {
            Session.OpenAll(pool, target, step);
            Thread.Sleep(settleMs);
            Session.EnsureServerAlive(target);
            long rss = ProcStats.RssKiB(target.Pid);
            double perConnection = (rss - rss0) / (double)step;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{target.Label}: {step} idle connections: RSS {rss / 1024.0:F1} MiB, {perConnection:F2} KiB per connection"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"RESULT mode=idle server={target.Label} subs={step} rss0_kib={rss0} rss_kib={rss} kib_per_conn={perConnection:F2} open={pool.OpenCount}"));
        }

        return 0;
    }
}
