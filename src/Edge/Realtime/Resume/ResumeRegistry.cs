using MadBase.Edge.Realtime.Delivery;

namespace MadBase.Edge.Realtime.Resume;

/// <summary>
/// The postgres_changes channels whose socket ended without a <c>phx_leave</c> (a network drop, a heartbeat timeout,
/// a crash, a closed tab), each with the position its client is known to have reached, for the resume window. A join
/// with the same <see cref="ResumeKey"/> takes one of them and first receives what came after it.
/// </summary>
/// <remarks>
/// Invariant, kept here: each rejoin resumes from no later than where any client still expected back under its key
/// left off. Entries of one key cannot be told apart (two tabs of one user, or anonymous clients, with the same channel),
/// so a rejoin is given the lowest position of the key and the highest entry is the one removed: the lowest stays for
/// whoever comes next, so nobody is ever resumed past their own position (some see a few changes twice).
/// </remarks>
internal sealed class ResumeRegistry(TimeSpan window, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ResumeKey, List<Remembered>> _entries = [];
    private readonly Dictionary<ResumeKey, HashSet<IResumeTwin>> _live = [];
    private readonly Dictionary<ResumeKey, DateTimeOffset> _expired = [];
    private int _count;
    private long _remembered;

    /// <summary>Keys remembered as expired, for telling a late rejoin (bounded: past it, late rejoins start afresh untold).</summary>
    private const int MaxExpiredKeys = 100_000;

    public bool Enabled => window > TimeSpan.Zero;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Cluster mode: the other nodes' windows (set once at start, before the first socket); null on one node.</summary>
    public IResumeShare? Share { get; set; }

    public void Remember(ResumeKey key, ChangePosition position) => Remember(key, position, time.GetUtcNow() + window);

    /// <summary>As above with its own expiry (entries read back from the state file keep theirs).</summary>
    public void Remember(ResumeKey key, ChangePosition position, DateTimeOffset expires)
    {
        if (!Enabled)
        {
            return;
        }

        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (expires <= now)
            {
                MarkExpired(key, now); // expired while the process was down: its client is told, not started afresh
                return;
            }

            if (!_entries.TryGetValue(key, out var list))
            {
                _entries[key] = list = [];
            }

            list.Add(new Remembered(position, expires));
            _count++;
            _remembered++;
        }
    }

    /// <summary>How many entries were ever remembered: a snapshot taken when this has not moved holds every one of them.</summary>
    public long RememberedEver
    {
        get
        {
            lock (_lock)
            {
                return _remembered;
            }
        }
    }

    /// <summary>A live channel with this key: a rejoin that finds it silent resumes from what it proved (a half-open socket).</summary>
    public void AddLive(ResumeKey key, IResumeTwin twin)
    {
        lock (_lock)
        {
            if (!_live.TryGetValue(key, out var list))
            {
                _live[key] = list = [];
            }

            list.Add(twin);
        }
    }

    public void RemoveLive(ResumeKey key, IResumeTwin twin)
    {
        lock (_lock)
        {
            if (_live.TryGetValue(key, out var list) && list.Remove(twin) && list.Count == 0)
            {
                _live.Remove(key);
            }
        }
    }

    /// <summary>
    /// Where a join with <paramref name="key"/> resumes: a remembered entry (taken), else a live twin whose client may
    /// be gone — silent, closing, or with changes out since a prompt proof lately (the server has not yet noticed its
    /// socket died: the client may be back, on this join; the twin is not taken, so a real second tab at worst
    /// repeats), else (cluster mode) the lowest position another node last shared for the key. <see cref="ResumeOutcome.Expired"/>: the window
    /// passed since such a channel was last remembered, and the client is told it may have missed changes.
    /// </summary>
    public ResumeOutcome Find(ResumeKey key, out ChangePosition position)
    {
        if (TryTake(key, out position))
        {
            return ResumeOutcome.Resume;
        }

        var now = time.GetUtcNow();
        lock (_lock)
        {
            var found = false;
            if (_live.TryGetValue(key, out var twins))
            {
                foreach (var twin in twins)
                {
                    if (twin.ProvenIfMaybeGone(now) is { } proven && (!found || proven < position))
                    {
                        position = proven;
                        found = true;
                    }
                }
            }

            if (Share?.Lowest(key, now) is { } elsewhere && (!found || elsewhere < position))
            {
                // Remembered (or live) on another node, e.g. one that died: not taken there, so at worst a repeat. Also
                // below a live twin here: the rejoin may be the dead node's client, and a twin that merely answered
                // lately is no proof that it is not.
                position = elsewhere;
                found = true;
                _expired.Remove(key);
            }

            if (found)
            {
                return ResumeOutcome.Resume;
            }

            return _expired.Remove(key) ? ResumeOutcome.Expired : ResumeOutcome.Fresh;
        }
    }

    /// <summary>The lowest unexpired position of <paramref name="key"/>, removing its highest entry (see the remarks).</summary>
    public bool TryTake(ResumeKey key, out ChangePosition position)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            position = default;
            if (!_entries.TryGetValue(key, out var list))
            {
                return false;
            }

            int lowest = -1, highest = -1;
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i].Expires <= now)
                {
                    continue;
                }

                if (lowest < 0 || list[i].Position < list[lowest].Position)
                {
                    lowest = i;
                }

                if (highest < 0 || list[i].Position > list[highest].Position)
                {
                    highest = i;
                }
            }

            if (lowest >= 0)
            {
                position = list[lowest].Position;
                list.RemoveAt(highest);
                _count--;
            }
            else
            {
                // Every entry expired and the keeper's next snapshot has not forgotten them yet: told, as after it.
                _count -= list.Count;
                list.Clear();
                MarkExpired(key, now);
            }

            if (list.Count == 0)
            {
                _entries.Remove(key);
            }

            return lowest >= 0;
        }
    }

    /// <summary>Forgets expired entries; returns the live ones (for the state file and the slot's floor).</summary>
    public List<(ResumeKey Key, ChangePosition Position, DateTimeOffset Expires)> Snapshot()
    {
        var now = time.GetUtcNow();
        var live = new List<(ResumeKey, ChangePosition, DateTimeOffset)>();
        lock (_lock)
        {
            foreach (var (key, list) in _entries)
            {
                var expired = list.RemoveAll(e => e.Expires <= now);
                if (expired > 0)
                {
                    MarkExpired(key, now);
                }

                _count -= expired;
                foreach (var entry in list)
                {
                    live.Add((key, entry.Position, entry.Expires));
                }
            }

            foreach (var key in _entries.Where(e => e.Value.Count == 0).Select(e => e.Key).ToList())
            {
                _entries.Remove(key);
            }

            foreach (var key in _expired.Where(e => e.Value <= now).Select(e => e.Key).ToList())
            {
                _expired.Remove(key);
            }
        }

        return live;
    }

    /// <summary>A rejoin with <paramref name="key"/> soon after is told it may have missed changes, rather than silently started afresh (under the lock).</summary>
    private void MarkExpired(ResumeKey key, DateTimeOffset now)
    {
        if (_expired.Count < MaxExpiredKeys || _expired.ContainsKey(key))
        {
            _expired[key] = now + window;
        }
    }

    private readonly record struct Remembered(ChangePosition Position, DateTimeOffset Expires);
}

/// <summary>How a join with a resume key starts.</summary>
internal enum ResumeOutcome
{
    /// <summary>No channel of this key is expected back: live changes from now on.</summary>
    Fresh,

    /// <summary>From a remembered (or silent live) channel's position.</summary>
    Resume,

    /// <summary>Such a channel was remembered, but the window passed: the client is told, then gets live changes.</summary>
    Expired,
}

/// <summary>A live channel that a rejoin may be the comeback of (read without the session's lock).</summary>
internal interface IResumeTwin
{
    /// <summary>
    /// What its client proved it received, if a rejoin with its key may be that client back on a new connection: its
    /// socket is closing, or silent for longer than it heartbeats, or it answered proof pings promptly until lately and
    /// has changes out since; else null.
    /// </summary>
    ChangePosition? ProvenIfMaybeGone(DateTimeOffset now);
}
