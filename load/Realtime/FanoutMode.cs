namespace MadBase.Load.Realtime;

/// <summary>
/// <c>fanout</c>: <c>--subscribers</c> N receive every tick of a publisher running at <c>--rate</c> ticks/s for
/// <c>--seconds</c>, after an unreported warm-up of <c>--warmup-seconds</c> (JIT peers and first-touch memory would
/// otherwise dominate a short window). Drains for at most <c>--drain-seconds</c>.
/// </summary>
internal static class FanoutMode
{
    public static int Run(Options options)
    {
        using var run = new PublishingRun(options);
        double rate = options.GetDouble("rate");
        double seconds = options.GetDouble("seconds", 10);
        double warmup = options.GetDouble("warmup-seconds", 1);
        var drain = TimeSpan.FromSeconds(options.GetDouble("drain-seconds", 120));
        run.Open();

        var target = run.Target;
        var runner = new StepRunner(target, run.Pool, run.Publisher);
        runner.WarmUp(rate, warmup, drain);
        StepResult result = runner.Run(rate, seconds, drain);
        Session.EnsureServerAlive(target);
        Console.WriteLine($"{target.Label}: {result.Describe()}");
        run.ReportFirstError("first connection error");
        Console.WriteLine(result.ToResultLine("fanout", target.Label));
        return 0;
    }
}
