using MadBase.Edge.Logging;
using MadBase.Edge.Realtime.Delivery;
using MadBase.Edge.Realtime.PostgresChanges;

namespace MadBase.Edge.Realtime.Routing;

/// <summary>Rejoins: what a resumed channel missed, from the history, before its live changes.</summary>
internal sealed partial class ChangeRouter
{
    // Rejoins that arrived before this process's first stream said where its history starts.
    private readonly List<ResumeRequest> _waiting = [];

    /// <summary>Once replication has started: the history's floor, and "routed through" it for readers that are caught up.</summary>
    private void StartHistory()
    {
        if (hub.History.FloorLsn is null && replication.FirstStreamedAfter is >= 0 and var first)
        {
            hub.History.Start((ulong)first);
            if (hub.DeliveryLog.RoutedThrough == ChangePosition.None)
            {
                hub.DeliveryLog.MarkRouted(ChangePosition.After((ulong)first));
            }
        }
    }

    private async Task ServeResumesAsync(CancellationToken cancellationToken)
    {
        while (hub.ResumeRequests.Reader.TryRead(out var request))
        {
            _waiting.Add(request);
        }

        if (_waiting.Count == 0 || hub.History.FloorLsn is null)
        {
            return;
        }

        hub.History.Trim();
        var together = new List<ResumeRequest>();
        foreach (var request in _waiting)
        {
            if (request.Channel.IsClosed)
            {
                continue;
            }

            if (request.Since is not null)
            {
                await ResumeAsync(request, cancellationToken); // by commit time: its own pass
            }
            else if (!hub.History.Covers(request.From))
            {
                Gap(request, "the history no longer holds that position");
                GoLive(request.Channel, request.From);
            }
            else
            {
                together.Add(request);
            }
        }

        _waiting.Clear();
        await ResumeTogetherAsync(together, cancellationToken);
    }

    /// <summary>
    /// Rejoins from positions the history covers, replayed in one pass as live changes are routed: each held change
    /// goes to every rejoining channel still before it, through the same filters and RLS, with frames and recipients
    /// shared as live (a thousand clients rejoining after the same outage get one frame per change, not a thousand).
    /// Then each is registered for live changes.
    /// </summary>
    private async Task ResumeTogetherAsync(List<ResumeRequest> requests, CancellationToken cancellationToken)
    {
        if (requests.Count == 0)
        {
            return;
        }

        var rejoining = new SubscriptionIndex<RealtimeChannel>();
        var from = requests[0].From;
        foreach (var request in requests)
        {
            request.Channel.DeliverAfter = request.From; // the routing pass skips what the channel already had
            rejoining.Add(request.Channel, request.Channel.Bindings);
            from = ChangePosition.Min(from, request.From);
        }

        // Like live routing, a failing pass (an RLS probe) is retried from the first change not yet appended.
        var sent = 0;
        foreach (var transaction in hub.History.After(from).ToList())
        {
            sent += await RouteWithRetryAsync(transaction, new Audience(rejoining, IsReplay: true), cancellationToken);
        }

        hub.Metrics.Resumed.Add(requests.Count);
        hub.Metrics.ResumeReplayed.Add(sent);
        foreach (var request in requests)
        {
            Log.ChannelResumed(hub.Logger, request.Channel.Topic, request.From.ToString(), requests.Count, sent);
            GoLive(request.Channel, request.From);
        }
    }

    /// <summary>
    /// Sends <paramref name="request"/>'s channel the changes committed at or after its <c>since</c>, then registers
    /// it: the history holds everything routed so far and the router routes nothing meanwhile, so live delivery picks
    /// up exactly after it.
    /// </summary>
    private async Task ResumeAsync(ResumeRequest request, CancellationToken cancellationToken)
    {
        var channel = request.Channel;
        var from = request.From;
        if (!hub.History.CoversSince(request.Since!.Value))
        {
            Gap(request, "the history no longer holds that position");
        }
        else
        {
            try
            {
                var sent = await ReplayAsync(channel, from, request.Since, cancellationToken);
                hub.Metrics.Resumed.Increment();
                hub.Metrics.ResumeReplayed.Add(sent);
                Log.ChannelResumed(hub.Logger, channel.Topic, from.ToString(), 1, sent);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Gap(request, ex.Message); // what was sent is in order; the client refetches the rest
            }
        }

        GoLive(channel, from);
    }

    /// <summary>Registers a channel for live changes after what its replay covered (or, after a gap, after now).</summary>
    private void GoLive(RealtimeChannel channel, ChangePosition from)
    {
        channel.DeliverAfter = ChangePosition.Max(from, hub.DeliveryLog.RoutedThrough);
        hub.Subscriptions.Add(channel, channel.Bindings);
        if (channel.IsClosed)
        {
            hub.Subscriptions.Remove(channel, channel.Bindings); // left while it was being resumed
        }
    }

    private void Gap(ResumeRequest request, string reason)
    {
        hub.Metrics.ResumeGaps.Increment();
        Log.ResumeGap(hub.Logger, request.Channel.Topic, request.From.ToString(), reason);
        request.Listener.OnResumeGap(request.Channel);
    }

    /// <summary>
    /// The held changes after <paramref name="from"/> (committed at or after <paramref name="since"/>, when given) that the
    /// channel's bindings and RLS let through, as log entries for its socket alone.
    /// </summary>
    private async Task<int> ReplayAsync(RealtimeChannel channel, ChangePosition from, DateTimeOffset? since, CancellationToken cancellationToken)
    {
        if (channel.Cursor is not { } reader)
        {
            return 0;
        }

        var sent = 0;
        var matches = new List<Delivery>();
        foreach (var transaction in hub.History.After(from).ToList())
        {
            if (transaction.CommitTimestamp < since)
            {
                continue;
            }

            matches.Clear();
            for (var i = 0; i < transaction.Changes.Count; i++)
            {
                if (new ChangePosition(transaction.EndLsn, i) <= from)
                {
                    continue;
                }

                var first = matches.Count; // this change's deliveries: one per distinct select list, as live
                foreach (var binding in channel.Bindings)
                {
                    if (!binding.Matches(transaction.Changes[i]))
                    {
                        continue;
                    }

                    var at = matches.FindIndex(first, d => d.SelectKey == binding.SelectKey);
                    if (at < 0)
                    {
                        matches.Add(new Delivery(i, channel, binding.IdAsArray, binding.Select, binding.SelectKey));
                    }
                    else
                    {
                        matches[at] = matches[at] with { Ids = [.. matches[at].Ids, binding.Id] };
                    }
                }
            }

            if (matches.Count == 0)
            {
                continue;
            }

            var hidden = await AuthorizeAsync(transaction.Changes, matches, cancellationToken);
            var projected = await ProjectAsync(transaction.Changes, matches, hidden, cancellationToken);
            for (var m = 0; m < matches.Count; m++)
            {
                if (hidden is not null && hidden.Contains(m))
                {
                    hub.Metrics.DroppedByRls.Increment();
                    continue;
                }

                var change = transaction.Changes[matches[m].ChangeIndex];
                var frame = PhoenixFrames.PostgresChange(channel.Version, channel.Topic, matches[m].Ids, (projected?[m] ?? change.DataJson).Span).Bytes;
                if (!hub.History.KeepsEncoded(transaction))
                {
                    change.ReleaseDataJson(); // as when it was routed: a transaction over the bound is held as values
                }

                var entry = new LogEntry(new ChangePosition(transaction.EndLsn, matches[m].ChangeIndex), [new LogDelivery(reader, channel, frame)]);
                await hub.DeliveryLog.AppendAsync(entry, cancellationToken);
                sent++;
            }
        }

        return sent;
    }
}
