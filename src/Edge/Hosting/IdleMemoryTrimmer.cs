using MadBase.Edge.Database;
using MadBase.Edge.Diagnostics;

namespace MadBase.Edge.Hosting;

/// <summary>
/// Gives memory back when the server goes quiet. The GC only runs when allocations use up its gen0 budget, so after a
/// burst (ten thousand sockets connecting and joining, an upload, a backlog of changes) an idle server keeps the
/// burst's garbage committed indefinitely: several KiB per socket that just connected. Every
/// <see cref="EdgeOptions.IdleTrimInterval"/> this checks how much was allocated since the last check; after two quiet
/// intervals in a row (under <see cref="QuietBytes"/> each), if the GC holds more than <see cref="SlackBytes"/> beyond
/// the live heap, it runs one aggressive (compacting, decommitting) collection. The same idea as the JVM's periodic
/// G1 collections of idle processes (JEP 346); a busy server is never touched, and a quiet one is collected once per
/// burst, not repeatedly. The executable's pages only starting needed (<see cref="StartupPages"/>) go once the server
/// has started (migrations applied) and then spent <see cref="StartupQuiet"/> quietly, or else at the first quiet spell.
/// </summary>
internal sealed class IdleMemoryTrimmer : IHostedService, IDisposable
{
    /// <summary>Allocation within one interval below which the process counts as quiet (heartbeats and sweeps allocate a little).</summary>
    private const long QuietBytes = 1024 * 1024;

    /// <summary>Committed memory beyond the live heap worth a collection.</summary>
    private const long SlackBytes = 8 * 1024 * 1024;

    /// <summary>How long a started server must be quiet before its startup-only pages go; asked this often, at most <see cref="StartupChecks"/> times.</summary>
    private static readonly TimeSpan StartupQuiet = TimeSpan.FromSeconds(1);

    private const int StartupChecks = 30;

    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Counter _trims;
    private readonly Task _started;
    private readonly CancellationTokenSource _stopping = new();
    private ITimer? _timer;
    private long _allocatedAtLastCheck;
    private int _quietChecks;
    private int _startupPagesReleased;

    public IdleMemoryTrimmer(EdgeOptions options, TimeProvider time, EdgeMetrics metrics, MigrationService migrations, ILoggerFactory loggers)
    {
        _started = migrations.Applied;
        _interval = options.IdleTrimInterval;
        _time = time;
        _logger = loggers.CreateLogger("MadBase.Edge.Memory");
        _trims = metrics.Counter("madbase_idle_memory_trims_total", "Compacting collections run because the server was quiet while holding garbage.");
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_interval > TimeSpan.Zero)
        {
            _allocatedAtLastCheck = GC.GetTotalAllocatedBytes();
            _timer = _time.CreateTimer(_ => Check(), null, _interval, _interval);
            _ = ReleaseStartupPagesOnceStartedAsync(_stopping.Token);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _timer?.Dispose();
        _stopping.Dispose();
    }

    /// <summary>
    /// Counts quiet checks: true from the second quiet one in a row (allocation under <see cref="QuietBytes"/> since
    /// the last check); any busy check starts the count again.
    /// </summary>
    internal static bool IsQuiet(long allocatedSinceLastCheck, ref int quietChecks)
    {
        if (allocatedSinceLastCheck >= QuietBytes)
        {
            quietChecks = 0; // busy: the GC's own budget decides
            return false;
        }

        return ++quietChecks >= 2;
    }

    /// <summary>
    /// Whether a compacting collection has enough to give back: the heap size after the last GC includes its free
    /// space, so what can go is everything committed beyond the live part of it.
    /// </summary>
    internal static bool HoldsGarbage(long committedBytes, long heapSizeBytes, long fragmentedBytes) =>
        committedBytes - (heapSizeBytes - fragmentedBytes) >= SlackBytes;

    /// <summary>
    /// Waits for the start to finish (migrations applied: the database answered, the schema is there) and then for a
    /// quiet second (under <see cref="QuietBytes"/> allocated), so that what only starting needed leaves as soon as
    /// the server stands idle, not at its first quiet spell several checks later.
    /// </summary>
    private async Task ReleaseStartupPagesOnceStartedAsync(CancellationToken stopping)
    {
        try
        {
            await _started.WaitAsync(stopping);
            var allocated = GC.GetTotalAllocatedBytes();
            for (var i = 0; i < StartupChecks && Volatile.Read(ref _startupPagesReleased) == 0; i++)
            {
                await Task.Delay(StartupQuiet, _time, stopping);
                var now = GC.GetTotalAllocatedBytes();
                if (now - allocated < QuietBytes)
                {
                    ReleaseStartupPages();
                    return;
                }

                allocated = now;
            }
        }
        catch (OperationCanceledException)
        {
            // stopping, or the migrations never applied: the quiet-spell check still releases them
        }
    }

    /// <summary>Once per process: later bursts use the code that serves requests, which a page-out would only make them read back.</summary>
    private void ReleaseStartupPages()
    {
        if (Interlocked.Exchange(ref _startupPagesReleased, 1) == 0)
        {
            Log.StartupPagesReleased(_logger, StartupPages.PageOut() / 1024 / 1024);
        }
    }

    private void Check()
    {
        var allocated = GC.GetTotalAllocatedBytes();
        var sinceLast = allocated - _allocatedAtLastCheck;
        _allocatedAtLastCheck = allocated;
        if (!IsQuiet(sinceLast, ref _quietChecks))
        {
            return; // a busy server pays only for the allocation counter
        }

        ReleaseStartupPages(); // a start that never had a quiet second (see below): the first quiet spell

        var memory = GC.GetGCMemoryInfo();
        if (!HoldsGarbage(memory.TotalCommittedBytes, memory.HeapSizeBytes, memory.FragmentedBytes))
        {
            return;
        }

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        _trims.Increment();
        var after = GC.GetGCMemoryInfo();
        Log.IdleMemoryTrimmed(_logger, memory.TotalCommittedBytes / 1024 / 1024, after.TotalCommittedBytes / 1024 / 1024);
        _allocatedAtLastCheck = GC.GetTotalAllocatedBytes();
        _quietChecks = 0;
    }
}
