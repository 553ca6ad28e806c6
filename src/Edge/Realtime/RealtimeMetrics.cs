using MadBase.Edge.Diagnostics;

namespace MadBase.Edge.Realtime;

/// <summary>Realtime counters on <c>/metrics</c>; the connection/channel gauges are registered by <see cref="RealtimeHub"/>.</summary>
internal sealed class RealtimeMetrics(EdgeMetrics metrics)
{
    public Counter Joins { get; } = metrics.Counter("madbase_realtime_joins_total", "Channel joins accepted.");

    public Counter JoinsRefused { get; } = metrics.Counter("madbase_realtime_joins_refused_total", "Channel joins answered with an error.");

    public Counter BroadcastDeliveries { get; } = metrics.Counter("madbase_realtime_deliveries_total", "Messages queued to subscribers, by kind.", "kind=\"broadcast\"");

    public Counter PresenceDeliveries { get; } = metrics.Counter("madbase_realtime_deliveries_total", "Messages queued to subscribers, by kind.", "kind=\"presence\"");

    public Counter ChangeDeliveries { get; } = metrics.Counter("madbase_realtime_deliveries_total", "Messages queued to subscribers, by kind.", "kind=\"postgres_changes\"");

    public Counter EventsRateLimited { get; } = metrics.Counter("madbase_realtime_rate_limited_total", "Client pushes dropped for going over a per-socket rate.", "kind=\"event\"");

    public Counter BytesRateLimited { get; } = metrics.Counter("madbase_realtime_rate_limited_total", "Client pushes dropped for going over a per-socket rate.", "kind=\"bytes\"");

    public Counter JoinsRateLimited { get; } = metrics.Counter("madbase_realtime_rate_limited_total", "Client pushes dropped for going over a per-socket rate.", "kind=\"join\"");

    public Counter TokenRefreshes { get; } = metrics.Counter("madbase_realtime_token_refreshes_total", "access_token pushes that re-authorized a channel.");

    public Counter Transactions { get; } = metrics.Counter("madbase_realtime_transactions_routed_total", "Committed transactions routed to subscribers.");

    public Counter RlsProbes { get; } = metrics.Counter("madbase_realtime_rls_probes_total", "Set-based RLS visibility probes run (one per identity, table and transaction).");

    public Counter DroppedByRls { get; } = metrics.Counter("madbase_realtime_rls_hidden_total", "Change deliveries withheld because RLS hid the row from the subscriber.");

    public Counter PolicyChecks { get; } = metrics.Counter("madbase_realtime_policy_checks_total", "realtime.messages policy checks run for private channels (reads at join/refresh, writes at first send).");

    public Counter UnauthorizedDrops { get; } = metrics.Counter("madbase_realtime_unauthorized_drops_total", "Broadcasts and presence tracks refused because realtime.messages policies deny writing.");

    public Counter Replayed { get; } = metrics.Counter("madbase_realtime_replayed_total", "Broadcasts replayed from realtime.messages to private channels that joined with broadcast.replay.");

    public Counter ReplayHeldDropped { get; } = metrics.Counter(
        "madbase_realtime_replay_held_dropped_total", "Live frames dropped because more arrived than a channel may hold while its replay is read (the channel is told).");

    public Counter ReplaysFailed { get; } = metrics.Counter("madbase_realtime_replays_failed_total", "Joins with broadcast.replay refused because realtime.messages could not be read.");

    public Counter LogOverruns { get; } = metrics.Counter("madbase_realtime_log_overruns_total", "Sockets told they missed changes (they fell behind the delivery log) and closed with 1008.");

    public Counter LogWaits { get; } = metrics.Counter("madbase_realtime_log_waits_total", "Changes whose append waited for room in the delivery log (readers still reading its tail).");

    public Counter LogCollections { get; } = metrics.Counter("madbase_realtime_log_collections_total", "Full collections run because the delivery log turned over its bound in bytes (frames that died old).");

    public Counter Resumed { get; } = metrics.Counter("madbase_realtime_resumed_total", "postgres_changes channels that rejoined within the resume window and resumed from their position.");

    public Counter ResumeReplayed { get; } = metrics.Counter("madbase_realtime_resume_replayed_total", "Change deliveries sent to resumed channels from the resume history.");

    public Counter ResumeGaps { get; } = metrics.Counter("madbase_realtime_resume_gaps_total", "Resumes refused because the history no longer held their position (the channel was told).");

    public Counter BroadcastsUnsendable { get; } = metrics.Counter(
        "madbase_realtime_broadcasts_unsendable_total", "Binary broadcasts not sent: a topic, event or metadata longer than the 255 bytes a vsn 2.0.0 binary frame carries.");
}
