using System.Globalization;

namespace MadBase.Load.Realtime;

/// <summary>
/// <c>ramp</c>: the highest sustainable rate at <c>--subscribers</c> N. Steps of <c>--step-seconds</c> through
/// <c>--rates</c>, each drained before the next. A step passes when p99 ≤ <c>--p99-ms</c> (100), nothing is missing,
/// no connection dropped and the publisher lagged its schedule by at most <c>--max-lag-ms</c> (100). The ramp stops
/// after <c>--max-failures</c> (2) failed steps in a row. Reports the highest passing step and, stricter, the last
/// step before the first failure (p99 does not rise smoothly with rate).
/// The box is shared: a failed step during which other processes used more than <c>--max-other-pct</c> (20) of the
/// machine is repeated, up to <c>--retries</c> (2) times, as the anchors did for contended windows, after waiting up to
/// 20 s for a quieter second.
/// </summary>
internal static class RampMode
{
    private const string DefaultRates = "20,50,100,200,350,500,720,1000,1450,2100,2500";

    public static int Run(Options options)
    {
        using var run = new PublishingRun(options);
        double[] rates = options.GetDoubles("rates", DefaultRates);
        double stepSeconds = options.GetDouble("step-seconds", 3);
        double warmup = options.GetDouble("warmup-seconds", 2);
        double p99Limit = options.GetDouble("p99-ms", 100);
        double lagLimit = options.GetDouble("max-lag-ms", 100);
        int maxFailures = options.GetInt("max-failures", 2);
        double maxOther = options.GetDouble("max-other-pct", 20);
        int retries = options.GetInt("retries", 2);
        var drain = TimeSpan.FromSeconds(options.GetDouble("drain-seconds", 30));
        run.Open();

        var (target, pool, subscribers) = (run.Target, run.Pool, run.Subscribers);
        var runner = new StepRunner(target, pool, run.Publisher);
        runner.WarmUp(rates[0], warmup, drain);
        StepResult? best = null;
        StepResult? strict = null;
        bool failedOnce = false;
        int failuresInRow = 0;
        var passed = new List<string>();
        foreach (double rate in rates)
        {
            StepResult step;
            bool pass;
            int attempt = 0;
            while (true)
            {
                step = runner.Run(rate, stepSeconds, drain);
                Session.EnsureServerAlive(target);
                pass = step.Passes(p99Limit, lagLimit);
                if (pass || step.OtherBusyPercent <= maxOther || attempt++ >= retries)
                {
                    break;
                }

                double quiet = ProcStats.WaitForQuiet(target, maxOther, TimeSpan.FromSeconds(20));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{target.Label}: repeating {rate:F0}/s: failed while other processes used {step.OtherBusyPercent:F0}% of the machine (now {quiet:F0}%)"));
            }

            Console.WriteLine($"{target.Label}: {(pass ? "pass" : "FAIL")} {step.Describe()}");
            Console.WriteLine(step.ToResultLine("ramp-step", target.Label, ("pass", pass ? "1" : "0")));
            passed.Add(string.Create(CultureInfo.InvariantCulture, $"{rate:F0}:{(pass ? "ok" : "fail")}"));
            if (pass)
            {
                best = step;
                strict = failedOnce ? strict : step;
                failuresInRow = 0;
            }
            else
            {
                failedOnce = true;
                if (++failuresInRow >= maxFailures || pool.OpenCount < subscribers)
                {
                    break;
                }
            }

            Thread.Sleep(500);
        }

        string strictRate = (strict?.Rate ?? 0).ToString("F0", CultureInfo.InvariantCulture);
        string steps = string.Join(",", passed);
        if (best is null)
        {
            Console.WriteLine($"{target.Label}: no step passed");
            Console.WriteLine($"RESULT mode=ramp server={target.Label} subs={subscribers} rate=0 strict_rate=0 steps={steps}");
            return 0;
        }

        Console.WriteLine($"{target.Label}: highest passing step: {best.Describe()}");
        Console.WriteLine(best.ToResultLine("ramp", target.Label, ("strict_rate", strictRate), ("steps", steps)));
        return 0;
    }
}
