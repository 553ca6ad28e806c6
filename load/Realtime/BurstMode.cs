using System.Globalization;

namespace MadBase.Load.Realtime;

/// <summary>
/// <c>burst</c> (issue #18, "peak RSS during a 200,000-row transaction to 1,000 subscribers"): <c>--subscribers</c> N
/// join the postgres_changes channel and read at full speed; one INSERT commits <c>--rows</c> rows in a single
/// transaction. Server VmRSS is sampled every <c>--rss-poll-ms</c> from just before the INSERT until every subscriber has
/// every row (VmHWM is read at the end too). Every subscriber must get every row exactly once, in order. With
/// <c>--rss-cap-mib</c>, a server whose RSS passes the cap is killed and the run reports how far it got.
/// </summary>
/// <remarks>
/// The transaction's encoded size is what one subscriber was sent: the payload bytes of its row messages (the frames
/// are shared between subscribers, so this is also what the server had to hold for all of them). The issue's goal is
/// peak RSS ≤ 64 MiB + 1.5 × that size.
/// </remarks>
internal static class BurstMode
{
    private const double BaseMiB = 64;
    private const double SizeFactor = 1.5;

    public static int Run(Options options)
    {
        using var run = new PublishingRun(options);
        var (target, subscribers) = (run.Target, run.Subscribers);
        int rows = options.GetInt("rows", 200_000);
        int pollMs = options.GetInt("rss-poll-ms", 10);
        var budget = TimeSpan.FromSeconds(options.GetDouble("timeout-seconds", 900));
        long capKiB = options.GetInt("rss-cap-mib", 0) * 1024L;
        run.Open();

        var (pool, publisher) = (run.Pool, (PgPublisher)run.Publisher);
        long first = publisher.NextSeq;
        var tracks = new RowTrack[subscribers];
        for (int i = 0; i < subscribers; i++)
        {
            tracks[i] = new RowTrack(i, first, first + rows - 1);
            pool[i]!.Track = tracks[i];
        }

        Thread.Sleep(1000);
        long rss0 = ProcStats.RssKiB(target.Pid);
        long hwm0 = ProcStats.PeakRssKiB(target.Pid);
        using var sampler = new RssSampler(target.Pid, pollMs, capKiB);
        double serverCpu0 = ProcStats.CpuSeconds(target.Pid);
        double clientCpu0 = ProcStats.CpuSeconds(Environment.ProcessId);
        var (busy0, total0) = ProcStats.MachineSeconds();

        long t0 = Clock.NowMicros();
        publisher.Publish(rows); // one statement, one transaction
        long committed = Clock.NowMicros();
        Console.WriteLine($"{target.Label}: {rows} rows committed in one transaction in {(committed - t0) / 1000.0:F0} ms; RSS before {rss0 / 1024.0:F1} MiB");
        bool done = RowWait.Until(tracks, t => t.DoneMicros != 0 || sampler.CapExceededMicros != 0, budget, TimeSpan.FromSeconds(30), "burst")
            && sampler.CapExceededMicros == 0;
        sampler.Stop();
        if (sampler.CapExceededMicros != 0)
        {
            var partial = RowReport.Of(tracks);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{target.Label}: server RSS passed the cap of {capKiB / 1024} MiB {(sampler.CapExceededMicros - t0) / 1e6:F1} s after the INSERT " +
                $"(peak seen {sampler.PeakKiB / 1024.0:F0} MiB); server {target.Pid} killed. So far: {partial.Describe()}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"RESULT mode=burst server={target.Label} subs={subscribers} rows={rows} capped=1 cap_kib={capKiB} peak_rss_kib={sampler.PeakKiB} " +
                $"cap_s={(sampler.CapExceededMicros - t0) / 1e6:F1} encoded_bytes={tracks[0].Bytes} {partial.ResultFields()}"));
            return 3;
        }

        double serverCpu = ProcStats.CpuSeconds(target.Pid) - serverCpu0;
        double clientCpu = ProcStats.CpuSeconds(Environment.ProcessId) - clientCpu0;
        var (busy1, total1) = ProcStats.MachineSeconds();
        Session.EnsureServerAlive(target);
        long hwm = ProcStats.PeakRssKiB(target.Pid);
        long rssEnd = ProcStats.RssKiB(target.Pid);

        var report = RowReport.Of(tracks);
        long encoded = tracks[0].Bytes;
        double goalMiB = BaseMiB + (SizeFactor * encoded / 1024.0 / 1024.0);
        double peakMiB = sampler.PeakKiB / 1024.0;
        var clients = RowReport.Distribution("done", tracks.Where(t => t.DoneMicros != 0).Select(t => (t.DoneMicros - t0) / 1000.0));
        double last = done ? (tracks.Max(t => t.DoneMicros) - t0) / 1000.0 : double.NaN;
        double others = total1 > total0 ? Math.Max(0, busy1 - busy0 - serverCpu - clientCpu) / (total1 - total0) * 100 : double.NaN;
        long closed = pool.Counters.Closed;

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{target.Label}: encoded size (one subscriber's row payloads) {encoded / 1024.0 / 1024.0:F1} MiB ({(double)encoded / rows:F0} B/row); " +
            $"peak RSS {peakMiB:F1} MiB sampled ({sampler.Samples} samples), VmHWM {hwm / 1024.0:F1} MiB (before the transaction {hwm0 / 1024.0:F1}), after {rssEnd / 1024.0:F1} MiB; " +
            $"goal <= {goalMiB:F1} MiB: {(peakMiB <= goalMiB ? "met" : "MISSED")}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{target.Label}: last subscriber had every row {last / 1000.0:F1} s after the INSERT was sent; per subscriber: {clients.Text}; " +
            $"server {serverCpu:F1} CPU-s, client {clientCpu:F1} CPU-s, others {others:F0}%"));
        Console.WriteLine($"{target.Label}: {report.Describe()}; connections closed {closed}");
        run.ReportFirstError();

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT mode=burst server={target.Label} subs={subscribers} rows={rows} commit_ms={(committed - t0) / 1000.0:F0} encoded_bytes={encoded} " +
            $"rss0_kib={rss0} peak_rss_kib={sampler.PeakKiB} hwm_kib={hwm} hwm0_kib={hwm0} goal_kib={goalMiB * 1024:F0} last_ms={last:F0} {clients.Fields} " +
            $"{report.ResultFields()} closed={closed} server_cpu_s={serverCpu:F2} client_cpu_s={clientCpu:F2} other_pct={others:F0}"));
        return done && report.EveryRowOnceInOrder ? 0 : 1;
    }

    /// <summary>
    /// Polls the server's VmRSS on its own thread and keeps the highest value seen. Above the cap (when set) it kills the
    /// server (SIGKILL, by the PID it was given): on a shared box a server whose memory grows with subscribers × rows
    /// must not take the machine's memory from everyone else before the run can report it.
    /// </summary>
    private sealed class RssSampler : IDisposable
    {
        private readonly int _pid;
        private readonly int _pollMs;
        private readonly long _capKiB;
        private readonly Thread _thread;
        private volatile bool _stop;
        private long _peakKiB;
        private long _capExceededMicros;

        public RssSampler(int pid, int pollMs, long capKiB)
        {
            _pid = pid;
            _pollMs = Math.Max(1, pollMs);
            _capKiB = capKiB;
            _peakKiB = ProcStats.RssKiB(pid);
            _thread = new Thread(Run) { IsBackground = true, Name = "rss" };
            _thread.Start();
        }

        public long PeakKiB => Interlocked.Read(ref _peakKiB);

        /// <summary>When the server passed the cap and was killed (µs, <see cref="Clock"/>); 0 if it never did.</summary>
        public long CapExceededMicros => Interlocked.Read(ref _capExceededMicros);

        public int Samples { get; private set; }

        public void Stop()
        {
            _stop = true;
            _thread.Join(TimeSpan.FromSeconds(5));
        }

        public void Dispose() => Stop();

        private void Run()
        {
            while (!_stop && ProcStats.IsAlive(_pid))
            {
                try
                {
                    long rss = ProcStats.RssKiB(_pid);
                    Samples++;
                    if (rss > Interlocked.Read(ref _peakKiB))
                    {
                        Interlocked.Exchange(ref _peakKiB, rss);
                    }

                    if (_capKiB > 0 && rss > _capKiB)
                    {
                        Interlocked.Exchange(ref _capExceededMicros, Clock.NowMicros());
                        using var server = System.Diagnostics.Process.GetProcessById(_pid);
                        server.Kill();
                        return;
                    }
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException)
                {
                    return; // the process ended between the check and the read
                }

                Thread.Sleep(_pollMs);
            }
        }
    }
}
