namespace MadBase.Load.Realtime;

/// <summary>
/// The set-up every publishing mode (fanout, ramp, failover, resume, burst) shares, in the order it must happen: the
/// target and <c>--subscribers</c> are read here; the mode then reads its own options; <see cref="Open"/> builds the
/// pool, refuses any option nobody read, opens every subscriber and creates the publisher. Disposing closes the
/// publisher, then the pool.
/// </summary>
internal sealed class PublishingRun : IDisposable
{
    private readonly Options _options;
    private SubscriberPool? _pool;
    private IPublisher? _publisher;

    public PublishingRun(Options options)
    {
        _options = options;
        Target = Target.FromOptions(options, publishes: true);
        Subscribers = options.GetInt("subscribers");
    }

    public Target Target { get; }

    public int Subscribers { get; }

    public SubscriberPool Pool => _pool ?? throw new InvalidOperationException("Open first.");

    public IPublisher Publisher => _publisher ?? throw new InvalidOperationException("Open first.");

    /// <summary>
    /// Call once the mode has read every option of its own (the pool's are read here, then the rest are refused).
    /// <paramref name="validate"/> checks the mode's values before any connection is opened.
    /// </summary>
    public void Open(Action? validate = null)
    {
        _pool = Session.CreatePool(_options, Target, Subscribers);
        _options.RejectUnused();
        validate?.Invoke();
        Session.OpenAll(_pool, Target, Subscribers);
        _publisher = Target.CreatePublisher();
    }

    /// <summary>Prints the pool's first connection error, if any, as <c>label: what: error</c>.</summary>
    public void ReportFirstError(string what = "first error")
    {
        if (Pool.FirstError is { } error)
        {
            Console.WriteLine($"{Target.Label}: {what}: {error}");
        }
    }

    public void Dispose()
    {
        _publisher?.Dispose();
        _pool?.Dispose();
    }
}
