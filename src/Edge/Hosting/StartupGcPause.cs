using System.Runtime;

namespace MadBase.Edge.Hosting;

/// <summary>
/// No garbage collection while the process starts. A start allocates about 8 MB (the host, the container's call
/// sites, Kestrel, routing, Npgsql's first connections), and the server GC's first gen0 budgets collected twice on the
/// way to ready, about a tenth of the start's CPU (perf, docs/footprint.md "Start → ready"). What the start leaves is
/// mostly garbage, which the first collection after the pause (<see cref="IdleMemoryTrimmer"/> ends it once migrations
/// are applied, when /ready first passes) finds dead.
/// </summary>
/// <remarks>
/// Bounded by <see cref="Budget"/>: a start that allocates more (a database that keeps refusing, a cluster that
/// replays) gets its first collection there, and the runtime leaves the no-GC mode by itself. Nothing else in the
/// server uses a no-GC region.
/// </remarks>
internal static class StartupGcPause
{
    /// <summary>Twice what a start allocates, so only an unusual start reaches it.</summary>
    public const long Budget = 16 * 1024 * 1024;

    /// <summary>Called first thing in Main; false if the runtime refused (the start then collects as usual).</summary>
    public static bool Begin()
    {
        try
        {
            return GC.TryStartNoGCRegion(Budget);
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Ends the pause if it is still on; true if it was.</summary>
    public static bool End()
    {
        if (GCSettings.LatencyMode != GCLatencyMode.NoGCRegion)
        {
            return false;
        }

        try
        {
            GC.EndNoGCRegion();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false; // it ended by itself meanwhile (the budget ran out)
        }
    }
}
