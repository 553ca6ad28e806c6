namespace MadBase.Load.Realtime;

/// <summary>Settings every mode shares, and the subscriber pool built from them.</summary>
internal static class Session
{
    /// <summary>Opening is not measured, but it must end: ~1 ms per connection is typical, this allows 20x that.</summary>
    private static TimeSpan ConnectBudget(int count) => TimeSpan.FromSeconds(30 + (count / 50));

    /// <summary>
    /// Builds a pool for up to <paramref name="capacity"/> subscribers: <c>--receiver epoll</c> (default) with
    /// <c>--recv-threads</c> (default 1) and <c>--poll-ms</c> (default 1, see <see cref="EpollReceiver"/>), or
    /// <c>--receiver tasks</c> (one async receive loop per socket, for comparison).
    /// </summary>
    public static SubscriberPool CreatePool(Options options, Target target, int capacity)
    {
        string receiver = options.GetString("receiver", "epoll");
        int threads = options.GetInt("recv-threads", 1);
        int pollMs = options.GetInt("poll-ms", 1);
        return receiver switch
        {
            "epoll" when threads > 0 => new(target.Endpoints, target.Protocol, capacity, threads, pollMs),
            "tasks" => new(target.Endpoints, target.Protocol, capacity, 0, pollMs),
            _ => throw new ArgumentException("--receiver must be 'epoll' (with --recv-threads >= 1) or 'tasks'."),
        };
    }

    /// <summary>Opens connections up to <paramref name="count"/> and waits for their subscriptions; throws unless all are live.</summary>
    public static void OpenAll(SubscriberPool pool, Target target, int count)
    {
        string? error = pool.OpenUpTo(count, ConnectBudget(count));
        long subscribed = pool.WaitSubscribed(TimeSpan.FromSeconds(30 + (count / 200)));
        if (error is not null || subscribed < count)
        {
            throw new InvalidOperationException(
                $"{target.Label}: {pool.Count} connected, {subscribed} subscribed of {count}" +
                $"{(error is null ? "" : "; " + error)}{(pool.FirstError is { } first ? "; " + first : "")}");
        }

        Console.WriteLine($"{target.Label}: {count} subscribers connected and subscribed");
    }

    public static void EnsureServerAlive(Target target)
    {
        foreach (int pid in target.Pids)
        {
            if (!ProcStats.IsAlive(pid))
            {
                throw new InvalidOperationException($"{target.Label}: server process {pid} is gone.");
            }
        }
    }
}
