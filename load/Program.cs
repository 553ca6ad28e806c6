using MadBase.Load.Realtime;

namespace MadBase.Load;

/// <summary>
/// End-to-end load driver. Each mode prints human-readable progress plus <c>RESULT key=value …</c> lines that the
/// scenario scripts under load/scenarios turn into tables.
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage: MadBase.Load <mode> --server peer|madbase --port P --pid SERVER_PID [options]
               (several nodes: --ports P1,P2,… --pids PID1,PID2,…; subscribers round-robin, CPU summed)
          idle    --steps 1000,10000 --settle-ms 3000
          fanout  --subscribers N --rate R --seconds 10 --warmup-seconds 1 --drain-seconds 120
          ramp    --subscribers N --rates 20,50,… --step-seconds 3 --p99-ms 100 --max-lag-ms 100 --max-failures 2
                  --max-other-pct 20 --retries 2
          resume  --subscribers N --missed 10000 --warmup-rows 10 --rows-per-commit 1 --heartbeat-rounds 3 --settle-ms 2000
                  --timeout-seconds 600   (madbase only)
          burst   --subscribers N --rows 200000 --rss-poll-ms 10 --rss-cap-mib 0 --timeout-seconds 900   (madbase only)
          failover --subscribers N --rate 100 --seconds 20 --kill-after-seconds 5 --kill-pid PID --timeout-seconds 120
                  (madbase cluster: kills one of --pids, the slot leader, mid-stream)
        madbase:  --apikey JWT | --jwt-secret S [--role authenticated] (a JWT per client, its own sub) [--pg "Host=…;Port=…;Username=…;Database=…"] [--table ticks]
        all:      --host 127.0.0.1 --label NAME --receiver epoll|tasks --recv-threads 1 --poll-ms 1 (0 = block in epoll_wait)
        """;

    public static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        try
        {
            var options = new Options(args.AsSpan(1));
            return args[0] switch
            {
                "idle" => IdleMode.Run(options),
                "fanout" => FanoutMode.Run(options),
                "ramp" => RampMode.Run(options),
                "resume" => ResumeMode.Run(options),
                "burst" => BurstMode.Run(options),
                "failover" => FailoverMode.Run(options),
                _ => throw new ArgumentException($"Unknown mode '{args[0]}'."),
            };
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
