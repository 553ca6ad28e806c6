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

            if (request.Since is { } since ? !hub.History.CoversSince(since) : !hub.History.Covers(request.From))
            {
                Gap(request, "the history no longer holds that position");
                GoLive(request.Channel, request.From);
            }
            else
            {
                // By commit time: from the first held transaction committed then, and never before its own position.
                together.Add(request.Since is { } at ? request with { From = ChangePosition.Max(request.From, hub.History.StartOf(at)) } : request);
            }
        }

        _waiting.Clear();
        await ResumeTogetherAsync(together, cancellationToken);
    }

    /// <summary>
    /// Rejoins from positions the history covers (a <c>since</c> is turned into one), replayed in one pass as live
    /// changes are routed: each held change goes to every rejoining channel still before it, through the same filters
    /// and RLS, with frames and recipients shared as live (a thousand clients rejoining after the same outage get one
    /// frame per change, not a thousand). Then each is registered for live changes.
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
    /// Registers a channel for live changes after what its replay covered (or, after a gap, after now); from here its
    /// socket's proofs count for it once they cover the log sequence its replay ends below.
    /// </summary>
    private void GoLive(RealtimeChannel channel, ChangePosition from)
    {
        channel.ReplayEnd = hub.DeliveryLog.Head;
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
}
