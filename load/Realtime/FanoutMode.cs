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
        var target = Target.FromOptions(options, publishes: true);
        int subscribers = options.GetInt("subscribers");
        double rate = options.GetDouble("rate");
        double seconds = options.GetDouble("seconds", 10);
        double warmup = options.GetDouble("warmup-seconds", 1);
        var drain = TimeSpan.FromSeconds(options.GetDouble("drain-seconds", 120));
        using SubscriberPool pool = Session.CreatePool(options, target, subscribers);
        options.RejectUnused();

        Session.OpenAll(pool, target, subscribers);
        using IPublisher publisher = target.CreatePublisher();
        var runner = new StepRunner(target, pool, publisher);
        if (warmup > 0)
        {
            Console.WriteLine($"warm-up: {runner.Run(rate, warmup, drain).Describe()}");
        }

        StepResult result = runner.Run(rate, seconds, drain);
        Session.EnsureServerAlive(target);
        Console.WriteLine($"{target.Label}: {result.Describe()}");
        if (pool.FirstError is { } error)
        {
            Console.WriteLine($"{target.Label}: first connection error: {error}");
        }

        Console.WriteLine(result.ToResultLine("fanout", target.Label));
        return 0;
    }
}
