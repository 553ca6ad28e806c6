using MadBase.Edge.Auth;
using MadBase.Edge.Realtime.Delivery;
using MadBase.Edge.Realtime.PostgresChanges;
using MadBase.Edge.Replication;
using MadBase.Protocol.Phoenix;

namespace MadBase.Edge.Realtime.Routing;

/// <summary>
/// The single reader of the <see cref="ChangeFeed"/>. Per committed transaction, a window of changes at a time (so
/// memory does not grow with changes × subscribers): match each change against the subscription index (no I/O), run
/// one RLS probe per (identity, table) that needs one, then append each change with its frames and recipients to the
/// <see cref="DeliveryLog"/> in commit order; once every window is appended, mark the transaction dispatched
/// so replication can acknowledge it. Sockets read the log at their own pace; the append waits only while the log
/// is full of changes that sockets which are still reading have not read yet (never for a stopped one longer than
/// the stall time), and a socket the log had to leave behind is told and closed, never silently skipped.
/// </summary>
/// <para>
/// It also serves rejoins (docs/ARCHITECTURE.md, "Resume"), between two transactions: a resumed channel gets every
/// change after its position from the <see cref="Resume.ChangeHistory"/>, through the same filters and RLS, and only then is
/// registered for live changes, so the history and the live stream meet without a gap or an overlap.
/// </para>
internal sealed partial class ChangeRouter(ChangeFeed feed, RealtimeHub hub, RlsProbe rls, ColumnAccess columnAccess, ReplicationCatalog catalog,
    ReplicationState replication) : BackgroundService
{
    /// <summary>Above this many entries the per-transaction scratch collections are dropped rather than kept.</summary>
    private const int KeptScratchCapacity = 64 * 1024;

    /// <summary>
    /// (change, channel) pairs matched, authorised and appended at a time. Matching a whole transaction first would hold
    /// changes × channels of them at once: one 200,000-row transaction to 1,000 subscribers is 200M pairs, about 8 GB.
    /// A window closes after the change that reaches this many (a single change goes whole, whatever its audience).
    /// </summary>
    private const int MaxMatchesPerWindow = 32 * 1024;

    /// <summary>The current transaction's changes appended so far: a failed attempt's retry goes on from here.</summary>
    private int _nextChange;

    /// <summary>Deliveries appended for the current transaction, across its attempts.</summary>
    private int _delivered;

    // Scratch reused by every transaction: the router is the feed's single reader, so one set is enough, and a
    // fan-out of one change to many subscribers allocates nothing per subscriber.
    private List<Delivery> _matches = [];
    private List<Subscription<RealtimeChannel>> _candidates = [];
    private Dictionary<(RealtimeChannel Channel, string Select), int> _multiBinding = [];
    private readonly Dictionary<FrameKey, int> _heads = [];
    private readonly LogRecipientsBuilder _recipients = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var transactions = feed.Reader;
        var resumes = hub.ResumeRequests.Reader;
        Task<bool>? transactionWait = null;
        Task<bool>? resumeWait = null;
        var stopped = Task.Delay(Timeout.Infinite, stoppingToken);
        try
        {
            while (true)
            {
                StartHistory();
                await ServeResumesAsync(stoppingToken);
                if (transactions.TryRead(out var transaction))
                {
                    if (transaction.AfterGap)
                    {
                        hub.History.Restart(transaction.EndLsn - 1);
                        hub.TellChangesMissed();
                    }

                    await RouteWithRetryAsync(transaction, new Audience(hub.Subscriptions, IsReplay: false), stoppingToken);
                    feed.MarkDispatched(transaction);
                    hub.History.Append(transaction);
                    hub.DeliveryLog.MarkRouted(ChangePosition.After(transaction.EndLsn));
                    hub.Metrics.Transactions.Increment();
                    continue;
                }

                // Idle: wake for a transaction, a rejoin, or (until the history has started) a tick.
                transactionWait ??= transactions.WaitToReadAsync(stoppingToken).AsTask();
                resumeWait ??= resumes.WaitToReadAsync(stoppingToken).AsTask();
                var tick = _waiting.Count > 0 || hub.History.FloorLsn is null ? Task.Delay(TimeSpan.FromMilliseconds(200), hub.Time, stoppingToken) : stopped;
                var woke = await Task.WhenAny(transactionWait, resumeWait, tick);
                if (woke == transactionWait)
                {
                    transactionWait = null;
                    if (!await (Task<bool>)woke)
                    {
                        return; // the feed completed
                    }
                }
                else if (woke == resumeWait)
                {
                    resumeWait = null;
                }
                else
                {
                    await woke; // throws when stopping
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: undispatched transactions are not acknowledged and will be streamed again.
        }
    }

    /// <summary>
    /// Within each window all I/O (table metadata, RLS probes) happens before its first change is appended, and
    /// <see cref="_nextChange"/> moves past each change as it is appended, so a failed attempt's retry starts after the
    /// last change appended: none is delivered twice or skipped. Until it succeeds the transaction stays
    /// unacknowledged, which is what keeps PostgreSQL holding its WAL.
    /// </summary>
    private async Task<int> RouteWithRetryAsync(ChangeTransaction transaction, Audience audience, CancellationToken cancellationToken)
    {
        _nextChange = 0;
        _delivered = 0;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await RouteAsync(transaction, audience, cancellationToken);
                return _delivered;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Log.ChangeRouterFailed(hub.Logger, ex);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 250 * attempt)), hub.Time, cancellationToken);
            }
        }
    }

    private async Task RouteAsync(ChangeTransaction transaction, Audience audience, CancellationToken cancellationToken)
    {
        try
        {
            await RouteCoreAsync(transaction, audience, cancellationToken);
        }
        finally
        {
            ReleaseScratch(); // also after a failed attempt: the retry starts from empty scratch
        }
    }

    private async Task RouteCoreAsync(ChangeTransaction transaction, Audience audience, CancellationToken cancellationToken)
    {
        while (_nextChange < transaction.Changes.Count)
        {
            ReleaseScratch(); // the previous window's matches, probes and frames
            var matches = Match(audience.Channels, transaction.Changes, _nextChange, transaction.EndLsn, out var end);
            var hidden = matches.Count == 0 ? null : await AuthorizeAsync(transaction.Changes, matches, cancellationToken);
            var projected = matches.Count == 0 ? null : await ProjectAsync(transaction.Changes, matches, hidden, cancellationToken);
            var delivered = await AppendAsync(transaction, _nextChange, end, audience.IsReplay, matches, hidden, projected, cancellationToken);
            _delivered += delivered;
            hub.Metrics.ChangeDeliveries.Add(delivered);
        }
    }

    /// <summary>
    /// Appends changes [<paramref name="start"/>, <paramref name="end"/>) in commit order: each change's database
    /// broadcast (realtime.send or send_binary; not on a <paramref name="replay"/>), then its postgres_changes; moves
    /// <see cref="_nextChange"/> past each.
    /// </summary>
    private async Task<int> AppendAsync(ChangeTransaction transaction, int start, int end, bool replay, List<Delivery> matches, HashSet<int>? hidden,
        ReadOnlyMemory<byte>?[]? projected, CancellationToken cancellationToken)
    {
        var delivered = 0;
        var next = 0;
        var keepJson = hub.History.KeepsEncoded(transaction);
        for (var change = start; change < end; change++)
        {
            if (!replay)
            {
                DeliverDatabaseBroadcast(transaction.Changes[change]); // a replay carries postgres_changes only
            }

            // Channels of one topic asking for the same bindings get byte-identical frames: each head is built once
            // per change. Consecutive deliveries usually share it, so the previous key is checked before hashing.
            _heads.Clear();
            FrameKey? lastKey = null;
            var lastSlot = -1;
            for (; next < matches.Count && matches[next].ChangeIndex == change; next++)
            {
                var match = matches[next];
                if (hidden is not null && hidden.Contains(next))
                {
                    hub.Metrics.DroppedByRls.Increment();
                    continue;
                }

                // A projected payload (select list, column privileges) is its own frame; every other delivery of the
                // change shares the change's one encoding (Data null).
                var data = projected?[next];
                var key = new FrameKey(match.Channel.Version, match.Channel.Topic, match.Ids, data);
                if (lastKey is not { } previous || !previous.Equals(key))
                {
                    if (!_heads.TryGetValue(key, out lastSlot))
                    {
                        var json = data ?? transaction.Changes[change].DataJson;
                        lastSlot = _recipients.AddFrame(PhoenixFrames.PostgresChange(key.Version, key.Topic, key.Ids, json.Span).Bytes);
                        _heads[key] = lastSlot;
                    }

                    lastKey = key;
                }

                if (match.Channel.Cursor is { } reader)
                {
                    _recipients.Add(reader, match.Channel, lastSlot);
                }
            }

            if (_recipients.Count > 0)
            {
                delivered += _recipients.Count;
                await hub.DeliveryLog.AppendAsync(_recipients.Build(new ChangePosition(transaction.EndLsn, change)), cancellationToken);
            }
            else
            {
                _recipients.Clear(); // frames of a change whose every recipient's socket is gone
            }

            if (!keepJson)
            {
                transaction.Changes[change].ReleaseDataJson(); // its frames are in the log; the history keeps values only
            }

            _nextChange = change + 1;
        }

        return delivered;
    }

    /// <summary>
    /// A <c>realtime.send</c> or <c>send_binary</c> row goes to its topic's channels. Delivered here only, never
    /// published to other nodes: in cluster mode every node reads every change.
    /// </summary>
    private void DeliverDatabaseBroadcast(ChangeEvent change)
    {
        if (DatabaseBroadcast.TryRead(change, out var topic, out var payload, out var messageId))
        {
            hub.DeliverText(topic, payload, except: null, messageId);
        }
        else if (DatabaseBroadcast.TryReadBinary(change, out topic, out var eventName, out var bytes, out messageId))
        {
            hub.DeliverRaw(topic, eventName, bytes, messageId);
        }
    }

    /// <summary>Empties the scratch collections (so they pin no channels or frames) and drops oversized ones.</summary>
    private void ReleaseScratch()
    {
        _matches.Clear();
        _candidates.Clear();
        _multiBinding.Clear();
        _projections.Clear();
        _heads.Clear();
        _recipients.Clear();
        if (_matches.Capacity > KeptScratchCapacity)
        {
            _matches = [];
        }

        if (_candidates.Capacity > KeptScratchCapacity)
        {
            _candidates = [];
        }

        if (_multiBinding.Count > KeptScratchCapacity)
        {
            _multiBinding = [];
        }
    }

    /// <summary>
    /// Every (change, channel) pair with the ids of that channel's bindings the change satisfies, in commit order, for
    /// the changes from <paramref name="start"/> up to <paramref name="end"/>: the window closes once it holds
    /// <see cref="MaxMatchesPerWindow"/> pairs. A channel with one binding (the usual case) shares that binding's id
    /// array; only channels with several bindings need the per-change dictionary that merges their ids.
    /// </summary>
    private List<Delivery> Match(SubscriptionIndex<RealtimeChannel> channels, IReadOnlyList<ChangeEvent> changes, int start, ulong endLsn, out int end)
    {
        var matches = _matches;
        var candidates = _candidates;
        var multiBinding = _multiBinding;
        var i = start;
        for (; i < changes.Count && matches.Count < MaxMatchesPerWindow; i++)
        {
            var change = changes[i];
            candidates.Clear();
            channels.Lookup(change.Schema, change.Table, candidates);
            if (candidates.Count == 0)
            {
                continue;
            }

            multiBinding.Clear();
            foreach (var (channel, binding) in candidates)
            {
                if (channel.IsClosed || !binding.Matches(change) || new ChangePosition(endLsn, i) <= channel.DeliverAfter)
                {
                    continue; // closed, not asked for, or already sent (a resumed channel, a transaction streamed again)
                }

                // Bindings of one channel that select different columns get separate frames (upstream: one row per
                // distinct selected_columns), each with its own ids.
                if (channel.Bindings.Length == 1)
                {
                    matches.Add(new Delivery(i, channel, binding.IdAsArray, binding.Select, binding.SelectKey));
                }
                else if (!multiBinding.TryGetValue((channel, binding.SelectKey), out var at))
                {
                    multiBinding[(channel, binding.SelectKey)] = matches.Count;
                    matches.Add(new Delivery(i, channel, binding.IdAsArray, binding.Select, binding.SelectKey));
                }
                else if (Array.IndexOf(matches[at].Ids, binding.Id) < 0)
                {
                    matches[at] = matches[at] with { Ids = [.. matches[at].Ids, binding.Id] };
                }
            }
        }

        end = i;
        return matches;
    }

    /// <summary>
    /// Indexes into <paramref name="matches"/> that RLS or a filter on an unreadable column hides, or null when none
    /// is. DELETEs and service_role are never RLS-checked, and tables without RLS need no probe
    /// (docs/protocol/realtime.md §Old records and TOAST, §Authorizing postgres_changes).
    /// </summary>
    private async Task<HashSet<int>?> AuthorizeAsync(IReadOnlyList<ChangeEvent> changes, List<Delivery> matches, CancellationToken cancellationToken)
    {
        var filtered = await HideUnreadableFiltersAsync(changes, matches, cancellationToken);
        Dictionary<(string Identity, string Schema, string Table), ProbeGroup>? groups = null;
        TableSecurity? table = null;
        var tableFor = -1;
        for (var i = 0; i < matches.Count; i++)
        {
            var change = changes[matches[i].ChangeIndex];
            var claims = matches[i].Channel.Claims;
            if (claims.IsServiceRole || change.Kind == ChangeKind.Delete || (filtered is not null && filtered.Contains(i)))
            {
                continue;
            }

            if (tableFor != matches[i].ChangeIndex)
            {
                table = await rls.GetTableAsync(change, cancellationToken); // once per change, not per subscriber
                tableFor = matches[i].ChangeIndex;
            }

            if (!table!.RlsEnabled)
            {
                continue;
            }
            groups ??= [];
            var groupKey = (claims.RawJson, change.Schema, change.Table);
            if (!groups.TryGetValue(groupKey, out var group))
            {
                group = new ProbeGroup(claims, table);
                groups[groupKey] = group;
            }

            group.Matches.Add((i, RlsProbe.RowKey(change, table)));
        }

        if (groups is null)
        {
            return filtered;
        }

        var hidden = filtered ?? [];
        foreach (var ((_, schema, tableName), group) in groups)
        {
            var keys = group.Matches.Where(m => m.Key is not null).Select(m => m.Key!).ToHashSet(StringComparer.Ordinal);
            var visible = keys.Count == 0 ? [] : await rls.VisibleKeysAsync(group.Claims, schema, tableName, group.Table, keys, cancellationToken);
            foreach (var (index, key) in group.Matches)
            {
                if (key is null || !visible.Contains(key))
                {
                    hidden.Add(index);
                }
            }
        }

        return hidden;
    }

    /// <summary>
    /// Whom a routing pass is for: every registered channel (live), or channels rejoining together, each from its own
    /// <see cref="RealtimeChannel.DeliverAfter"/> (a replay from the history).
    /// </summary>
    private readonly record struct Audience(SubscriptionIndex<RealtimeChannel> Channels, bool IsReplay);

    /// <param name="Select">The bindings' column list (null: every column).</param>
    /// <param name="SelectKey">The same as one string, "" for every column.</param>
    private readonly record struct Delivery(int ChangeIndex, RealtimeChannel Channel, int[] Ids, string[]? Select, string SelectKey);

    /// <summary>
    /// What makes two postgres_changes frames of one change identical: serializer, topic, ids and payload (null: the
    /// change's shared encoding; otherwise a projection, one array per distinct projection of the change).
    /// </summary>
    private readonly struct FrameKey(PhoenixVersion version, string topic, int[] ids, ReadOnlyMemory<byte>? data) : IEquatable<FrameKey>
    {
        public ReadOnlyMemory<byte>? Data { get; } = data;

        public PhoenixVersion Version { get; } = version;

        public string Topic { get; } = topic;

        public int[] Ids { get; } = ids;

        public bool Equals(FrameKey other) =>
            Version == other.Version && string.Equals(Topic, other.Topic, StringComparison.Ordinal)
            && (ReferenceEquals(Ids, other.Ids) || Ids.AsSpan().SequenceEqual(other.Ids))
            && Data.HasValue == other.Data.HasValue && (!Data.HasValue || Data.Value.Equals(other.Data!.Value));

        public override bool Equals(object? obj) => obj is FrameKey other && Equals(other);

        public override int GetHashCode() => HashCode.Combine(Version, Topic, Ids.Length == 0 ? 0 : Ids[0], Ids.Length);
    }

    private sealed class ProbeGroup(JwtClaims claims, TableSecurity table)
    {
        public JwtClaims Claims { get; } = claims;

        public TableSecurity Table { get; } = table;

        public List<(int Index, string? Key)> Matches { get; } = [];
    }
}
