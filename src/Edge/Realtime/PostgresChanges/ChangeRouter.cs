using MadBase.Edge.Auth;
using MadBase.Edge.Logging;
using MadBase.Edge.Replication;

namespace MadBase.Edge.Realtime.PostgresChanges;

/// <summary>
/// The single reader of the <see cref="ChangeFeed"/>. Per committed transaction: match every change against the
/// subscription index (no I/O), run one RLS probe per (identity, table) that needs one, then queue the frames in
/// commit order and mark the transaction dispatched so replication can acknowledge it. Queueing never blocks; a
/// slow client loses its own frames (and then its connection), never anyone else's.
/// </summary>
internal sealed class ChangeRouter(ChangeFeed feed, RealtimeHub hub, RlsProbe rls) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var transaction in feed.Reader.ReadAllAsync(stoppingToken))
            {
                await RouteWithRetryAsync(transaction, stoppingToken);
                transaction.MarkDispatched();
                hub.Metrics.Transactions.Increment();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: undispatched transactions are not acknowledged and will be streamed again.
        }
    }

    /// <summary>
    /// All I/O (table metadata, RLS probes) happens before the first frame is queued, so a failed attempt queued
    /// nothing and retrying the whole transaction cannot deliver twice. Until it succeeds the transaction stays
    /// unacknowledged, which is what keeps PostgreSQL holding its WAL.
    /// </summary>
    private async Task RouteWithRetryAsync(ChangeTransaction transaction, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await RouteAsync(transaction, cancellationToken);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Log.ChangeRouterFailed(hub.Logger, ex);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 250 * attempt)), hub.Time, cancellationToken);
            }
        }
    }

    private async Task RouteAsync(ChangeTransaction transaction, CancellationToken cancellationToken)
    {
        var matches = Match(transaction.Changes);
        var hidden = matches.Count == 0 ? null : await AuthorizeAsync(transaction.Changes, matches, cancellationToken);

        // Frames go out in commit order: each change's database broadcast (realtime.send), then its postgres_changes.
        var delivered = 0;
        var next = 0;
        for (var change = 0; change < transaction.Changes.Count; change++)
        {
            if (DatabaseBroadcast.TryRead(transaction.Changes[change], out var topic, out var payload))
            {
                hub.BroadcastText(topic, payload, except: null);
            }

            for (; next < matches.Count && matches[next].ChangeIndex == change; next++)
            {
                var match = matches[next];
                if (hidden is not null && hidden.Contains(next))
                {
                    hub.Metrics.DroppedByRls.Increment();
                    continue;
                }

                var frame = PhoenixFrames.PostgresChange(match.Channel.Version, match.Channel.Topic, match.Ids, transaction.Changes[change].DataJson);
                delivered += match.Channel.Send(frame) ? 1 : 0;
            }
        }

        hub.Metrics.ChangeDeliveries.Add(delivered);
    }

    /// <summary>Every (change, channel) pair with the ids of that channel's bindings the change satisfies, in commit order.</summary>
    private List<Delivery> Match(IReadOnlyList<ChangeEvent> changes)
    {
        var matches = new List<Delivery>();
        var candidates = new List<Subscription>();
        var byChannel = new Dictionary<RealtimeChannel, List<int>>(ReferenceEqualityComparer.Instance);
        var order = new List<RealtimeChannel>();
        for (var i = 0; i < changes.Count; i++)
        {
            var change = changes[i];
            candidates.Clear();
            hub.Subscriptions.Lookup(change.Schema, change.Table, candidates);
            if (candidates.Count == 0)
            {
                continue;
            }

            byChannel.Clear();
            order.Clear();
            foreach (var (channel, binding) in candidates)
            {
                if (channel.IsClosed || !binding.Matches(change))
                {
                    continue;
                }

                if (!byChannel.TryGetValue(channel, out var ids))
                {
                    ids = [];
                    byChannel[channel] = ids;
                    order.Add(channel);
                }

                ids.Add(binding.Id);
            }

            foreach (var channel in order)
            {
                matches.Add(new Delivery(i, channel, [.. byChannel[channel]]));
            }
        }

        return matches;
    }

    /// <summary>
    /// Indexes into <paramref name="matches"/> that RLS hides, or null when nothing needed a probe. DELETEs and
    /// service_role are never checked, and tables without RLS need no probe (realtime.md §4.5, §8).
    /// </summary>
    private async Task<HashSet<int>?> AuthorizeAsync(IReadOnlyList<ChangeEvent> changes, List<Delivery> matches, CancellationToken cancellationToken)
    {
        Dictionary<(string Identity, string Schema, string Table), ProbeGroup>? groups = null;
        for (var i = 0; i < matches.Count; i++)
        {
            var change = changes[matches[i].ChangeIndex];
            var claims = matches[i].Channel.Claims;
            if (claims.IsServiceRole || change.Kind == ChangeKind.Delete)
            {
                continue;
            }

            var table = await rls.GetTableAsync(change, cancellationToken);
            if (!table.RlsEnabled)
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
            return null;
        }

        var hidden = new HashSet<int>();
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

    private readonly record struct Delivery(int ChangeIndex, RealtimeChannel Channel, int[] Ids);

    private sealed class ProbeGroup(JwtClaims claims, TableSecurity table)
    {
        public JwtClaims Claims { get; } = claims;

        public TableSecurity Table { get; } = table;

        public List<(int Index, string? Key)> Matches { get; } = [];
    }
}
