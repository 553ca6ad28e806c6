using System.Diagnostics;
using HdrHistogram;

namespace MadBase.Load.Realtime;

/// <summary>
/// Runs one step: publish at a fixed rate for a fixed time, then drain until every subscriber has every tick (or the
/// drain budget runs out), and measures latency, throughput and CPU over exactly that window.
/// </summary>
internal sealed class StepRunner(Target target, SubscriberPool pool, IPublisher publisher)
{
    /// <summary>A drain that makes no progress for this long has lost messages; waiting longer only wastes the budget.</summary>
    private static readonly TimeSpan s_stallLimit = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A step of <paramref name="seconds"/> (none when 0) printed but not reported as a result: JIT peers and
    /// first-touch memory would otherwise dominate the first measured window.
    /// </summary>
    public void WarmUp(double rate, double seconds, TimeSpan drainBudget)
    {
        if (seconds > 0)
        {
            Console.WriteLine($"warm-up: {Run(rate, seconds, drainBudget).Describe()}");
        }
    }

    public StepResult Run(double rate, double seconds, TimeSpan drainBudget)
    {
        long subscribers = pool.OpenCount;
        pool.SetAcceptFromSeq(publisher.NextSeq);
        pool.TakeLatency(); // discard anything recorded before this step
        ReceiveCounters before = pool.Counters;
        double serverCpu0 = target.CpuSeconds();
        double clientCpu0 = ProcStats.CpuSeconds(Environment.ProcessId);
        var (busy0, total0) = ProcStats.MachineSeconds();

        ScheduleResult schedule = Schedule.Run(publisher, rate, seconds);
        long expected = schedule.Published * subscribers;

        var drain = Stopwatch.StartNew();
        var sinceProgress = Stopwatch.StartNew();
        long received = 0;
        while (drain.Elapsed < drainBudget && sinceProgress.Elapsed < s_stallLimit)
        {
            long now = pool.Counters.Ticks - before.Ticks;
            if (now >= expected)
            {
                received = now;
                break;
            }

            if (now != received)
            {
                received = now;
                sinceProgress.Restart();
            }

            Thread.Sleep(5);
        }

        ReceiveCounters after = pool.Counters;
        double serverCpu = target.CpuSeconds() - serverCpu0;
        double clientCpu = ProcStats.CpuSeconds(Environment.ProcessId) - clientCpu0;
        var (busy1, total1) = ProcStats.MachineSeconds();
        HistogramBase latency = pool.TakeLatency();

        received = after.Ticks - before.Ticks;
        double window = Math.Max(1, after.LastTickMicros - schedule.FirstSendMicros) / 1e6;
        return new StepResult(
            rate,
            subscribers,
            schedule.Published,
            expected,
            received,
            after.Late - before.Late,
            Ms(latency, 50),
            Ms(latency, 99),
            latency.TotalCount == 0 ? double.NaN : latency.GetMaxValue() / 1000.0,
            received / window,
            serverCpu,
            clientCpu,
            total1 > total0 ? (busy1 - busy0) / (total1 - total0) * 100 : double.NaN,
            total1 > total0 ? Math.Max(0, busy1 - busy0 - serverCpu - clientCpu) / (total1 - total0) * 100 : double.NaN,
            schedule.MaxLagMicros / 1000.0,
            window,
            (int)(after.Closed - before.Closed));
    }

    private static double Ms(HistogramBase histogram, double percentile) =>
        histogram.TotalCount == 0 ? double.NaN : histogram.GetValueAtPercentile(percentile) / 1000.0;
}
