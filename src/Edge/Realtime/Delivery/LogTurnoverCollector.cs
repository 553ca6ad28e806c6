using MadBase.Edge.Diagnostics;

namespace MadBase.Edge.Realtime.Delivery;

/// <summary>
/// Keeps what the delivery log lets go from piling up in memory. A frame stays in the log until every socket it goes
/// to has read it: long enough to reach the GC's oldest generation, which the GC collects only when its own budget for
/// that generation runs out. During a burst the dead frames then piled up far beyond the log's bound: one 200,000-row
/// transaction to one subscriber reached a 139 MiB heap. So each time the log has evicted half its bound's worth of
/// bytes (<see cref="BytesPerCollection"/>), one full collection runs on the thread pool, blocking, compacting and
/// aggressive (it also gives the free memory back: otherwise the GC keeps what the burst made it commit, about twice
/// the live heap), never two at once (docs/realtime-server.md §Memory of large transactions). At steady fan-out rates
/// the log turns over slowly (one frame per change is shared by every socket of a topic), so this runs rarely there.
/// </summary>
internal sealed class LogTurnoverCollector(long bytesPerCollection, Counter collections)
{
    /// <summary>Evicted bytes per collection for a log bound of <paramref name="logMaxBytes"/>: half of it, at least 1 MiB.</summary>
    public static long BytesPerCollection(long logMaxBytes) => Math.Max(logMaxBytes / 2, 1024 * 1024);

    private long _evicted;
    private int _running;

    /// <summary>The log evicted <paramref name="bytes"/> (called under its lock: only counts and queues).</summary>
    public void Evicted(long bytes)
    {
        if (Interlocked.Add(ref _evicted, bytes) >= bytesPerCollection && Interlocked.CompareExchange(ref _running, 1, 0) == 0)
        {
            Interlocked.Exchange(ref _evicted, 0);
            ThreadPool.UnsafeQueueUserWorkItem(static collector => collector.Collect(), this, preferLocal: false);
        }
    }

    private void Collect()
    {
        try
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            collections.Increment();
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }
}
