using MadBase.Edge.Realtime.Delivery;
using MadBase.Edge.Realtime.Resume;
using MadBase.Edge.Replication;

namespace MadBase.Edge.Realtime.Routing;

/// <summary>
/// Keeps the resume window across a kill -9 (docs/ARCHITECTURE.md, "Resume"). Twice a second it takes one snapshot of
/// where every postgres_changes channel stands (live ones and remembered ones), writes it to the state file, and only
/// then lets the slot be acknowledged up to the oldest of them: after a crash the slot streams again everything a
/// rejoining client may still need, the history is rebuilt from it, and the state file says who needs what.
/// </summary>
/// <remarks>
/// Invariant, kept here: the slot's ceiling is never above a position in the state file on disk, nor above what a live
/// client has shown it received (the position its channel is remembered at if its socket ends). So the WAL pinned is
/// the window: at most <see cref="RealtimeOptions.ResumeWindow"/> behind the oldest channel still expected back, plus
/// what live clients have not proven yet (about one proof-ping interval; two heartbeat intervals with pings off).
/// </remarks>
internal sealed class ResumeKeeper : BackgroundService
{
    /// <summary>Half a second: after a crash, the proofs that missed the last snapshot are repeats too.</summary>
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(500);

    private readonly RealtimeHub _hub;
    private readonly SlotAcknowledger _acks;
    private readonly ILogger _logger;
    private readonly string? _path;
    private readonly List<ResumePoint> _points = [];
    private byte[] _saved = [];

    public ResumeKeeper(RealtimeHub hub, SlotAcknowledger acks, ILoggerFactory loggers)
    {
        _hub = hub;
        _acks = acks;
        _logger = loggers.CreateLogger("MadBase.Edge.Realtime.Routing.ResumeKeeper");
        _path = hub.Options.ResumeStatePath;
        if (!hub.Resumes.Enabled)
        {
            return;
        }

        _acks.Ceiling = 0; // nothing is acknowledged before the saved state is known
        Restore();
        Publish();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_hub.Resumes.Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(s_interval, _hub.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Publish();
            }
        }
        catch (OperationCanceledException)
        {
        }

        Publish(); // shutting down: the sockets are still open, their written positions are the freshest
    }

    /// <summary>Reads the state a previous process left: its channels become remembered ones, its routed position the catch-up mark.</summary>
    private void Restore()
    {
        if (_path is null)
        {
            return;
        }

        try
        {
            if (ResumeStateFile.Read(_path) is not { } state)
            {
                return;
            }

            _hub.CatchUpThrough = state.RoutedThrough;
            foreach (var (key, position, expires) in state.Entries)
            {
                _hub.Resumes.Remember(key, position, expires);
            }

            Log.ResumeStateRestored(_logger, _hub.Resumes.Count, state.RoutedThrough.ToString());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            Log.ResumeStateUnreadable(_logger, _path, ex.Message);
        }
    }

    /// <summary>One snapshot: saved first, then the slot's ceiling from the same snapshot.</summary>
    private void Publish()
    {
        var now = _hub.Time.GetUtcNow();
        var expires = now + _hub.Options.ResumeWindow;
        // (Not in cluster mode: there the slot's idle position can be ahead of what this node's router has read.)
        if (_hub.Cluster is null && _acks.IdleThrough is > 0 and var idle && _hub.History.FloorLsn is not null)
        {
            // Nothing published up to there: caught-up clients stand there too, so unpublished writes are not pinned.
            _hub.DeliveryLog.MarkRouted(ChangePosition.After(idle));
        }

        // Read before the snapshot: a channel that joins after it starts at or above it (its start is the routed position
        // at its join), so a ceiling no higher than this keeps its WAL until the next snapshot counts it. Without it, a
        // snapshot taken before the clients joined let the slot be confirmed past their start for up to half a second;
        // clients with nothing proven by a kill -9 then found their start gone (CI: 5 of 10 told, 8–14k rows missing).
        var routed = _hub.DeliveryLog.RoutedThrough;

        // The remembered positions first, then the live channels': a rejoin that takes its entry in between is then
        // in both (its join sets its start and replay end under its session's lock, which the collection takes), never
        // in neither (the other order let the ceiling pass it). A socket that closes in between is the reverse case:
        // it remembers its channels after the first snapshot, and the collection skips it (closed), so the entries
        // remembered meanwhile are added from a second snapshot.
        var rememberedBefore = _hub.Resumes.RememberedEver;
        var entries = _hub.Resumes.Snapshot();
        _points.Clear();
        _hub.CollectResumePoints(_points);
        if (_hub.Resumes.RememberedEver != rememberedBefore)
        {
            AddRememberedSince(entries);
        }

        var oldest = (ChangePosition?)null;
        foreach (var (_, position, _) in entries)
        {
            oldest = Older(oldest, position);
        }

        foreach (var point in _points)
        {
            oldest = Older(Older(oldest, point.Proven), point.Written);
            // After a crash only what the client proved is safe. What this process had written may never arrive: a
            // killed process's sockets are reset when the client's heartbeat sits unread (the kernel drops its send
            // queue), Kestrel's pipes hold flushed bytes in user space, and in cluster mode another node resumes the
            // client through whatever proxy it came by (a clean-clone run lost 1,054 rows silently from "written").
            entries.Add((point.Key, point.Proven, expires));
        }

        var share = _hub.Resumes.Share;
        if (_path is not null || share is not null)
        {
            try
            {
                var bytes = ResumeStateFile.Serialize(new ResumeStateFile.State(routed, entries)); // never above the ceiling's bound
                if (!bytes.AsSpan().SequenceEqual(_saved))
                {
                    if (_path is not null)
                    {
                        ResumeStateFile.Write(_path, bytes); // a quiet server writes nothing
                    }

                    share?.Offer(bytes);
                    _saved = bytes;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Log.ResumeStateUnwritable(_logger, _path ?? "", ex.Message);
                return; // the ceiling stays where the last saved state put it
            }
        }

        // In cluster mode the change stream keeps the window for every node: the slot need not keep it too.
        _acks.Ceiling = _hub.Cluster is not null ? ulong.MaxValue : CeilingAt(oldest is { } floor ? ChangePosition.Min(floor, routed) : routed);
    }

    /// <summary>Adds to <paramref name="entries"/> what a new snapshot holds beyond it (as a multiset: two channels may be remembered alike).</summary>
    private void AddRememberedSince(List<(ResumeKey Key, ChangePosition Position, DateTimeOffset Expires)> entries)
    {
        var already = new Dictionary<(ResumeKey, ChangePosition, DateTimeOffset), int>(entries.Count);
        foreach (var entry in entries)
        {
            already[entry] = already.GetValueOrDefault(entry) + 1;
        }

        foreach (var entry in _hub.Resumes.Snapshot())
        {
            if (already.GetValueOrDefault(entry) is > 0 and var left)
            {
                already[entry] = left - 1;
            }
            else
            {
                entries.Add(entry);
            }
        }
    }

    /// <summary>The highest LSN the slot may confirm so that it streams everything after <paramref name="position"/> again.</summary>
    private ulong CeilingAt(ChangePosition position) =>
        position.Index == int.MaxValue ? position.CommitLsn
        : position.CommitLsn == 0 ? 0
        : _hub.History.ConfirmableBefore(position.CommitLsn); // the transaction it stands in must be streamed again

    /// <summary>The older of the two, ignoring a position the history no longer covers (nobody can resume from it).</summary>
    private ChangePosition? Older(ChangePosition? current, ChangePosition candidate)
    {
        candidate = _hub.History.Normalize(candidate);
        if (_hub.History.FloorLsn is not null && !_hub.History.Covers(candidate))
        {
            return current;
        }

        return current is { } known ? ChangePosition.Min(known, candidate) : candidate;
    }
}
