namespace MadBase.Edge.Logging;

/// <summary>Realtime (WebSocket framing, Phoenix channels, change routing): event ids 3000–3999.</summary>
internal static partial class Log
{
    [LoggerMessage(3000, LogLevel.Debug, "Realtime socket opened (vsn {Vsn}, role {Role})")]
    public static partial void SocketOpened(ILogger logger, string vsn, string role);

    [LoggerMessage(3001, LogLevel.Information, "Realtime upgrade refused with {Status}: {Reason}")]
    public static partial void UpgradeRefused(ILogger logger, int status, string reason);

    [LoggerMessage(3002, LogLevel.Information, "WebSocket protocol error {Error}: {Detail}; closing")]
    public static partial void WebSocketProtocolError(ILogger logger, string error, string detail);

    [LoggerMessage(3003, LogLevel.Warning, "Slow client closed with 1008: outbound queue full for {GraceMs} ms ({Dropped} frames dropped)")]
    public static partial void SlowClientClosed(ILogger logger, long dropped, double graceMs);

    [LoggerMessage(3004, LogLevel.Debug, "WebSocket write failed: {Reason}")]
    public static partial void WebSocketWriteFailed(ILogger logger, string reason);

    [LoggerMessage(3005, LogLevel.Error, "Realtime message handler failed; closing the socket with 1011")]
    public static partial void WebSocketHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(3006, LogLevel.Debug, "Closing realtime socket idle for more than {Seconds} s")]
    public static partial void IdleConnectionClosed(ILogger logger, double seconds);

    [LoggerMessage(3007, LogLevel.Debug, "Dropped malformed Phoenix frame ({Error}): {Detail}")]
    public static partial void PhoenixFrameDropped(ILogger logger, string error, string detail);

    [LoggerMessage(3008, LogLevel.Debug, "Joined {Topic} as {Role} with {Bindings} postgres_changes binding(s)")]
    public static partial void ChannelJoined(ILogger logger, string topic, string role, int bindings);

    [LoggerMessage(3009, LogLevel.Information, "Join of {Topic} refused: {Reason}")]
    public static partial void JoinRefused(ILogger logger, string topic, string reason);

    [LoggerMessage(3010, LogLevel.Information, "Channel {Topic} closed by the server: {Reason}")]
    public static partial void ChannelClosedByServer(ILogger logger, string topic, string reason);

    [LoggerMessage(3011, LogLevel.Debug, "Channel {Topic} re-authorized as {Role}")]
    public static partial void ChannelReauthorized(ILogger logger, string topic, string role);

    [LoggerMessage(3012, LogLevel.Error, "Change router failed on a transaction; it will retry the transaction")]
    public static partial void ChangeRouterFailed(ILogger logger, Exception exception);

    [LoggerMessage(3013, LogLevel.Warning, "RLS probe on {Table} as {Role} failed ({Reason}); its rows are withheld from that identity")]
    public static partial void RlsProbeFailed(ILogger logger, string table, string role, string reason);

    [LoggerMessage(3026, LogLevel.Warning, "Column privileges of {Table} for {Role} could not be read ({Reason}); that role is sent no column of it")]
    public static partial void ColumnPrivilegesFailed(ILogger logger, string table, string role, string reason);

    [LoggerMessage(3014, LogLevel.Information, "REST broadcast to {Topic} skipped: {Reason}")]
    public static partial void RestBroadcastSkipped(ILogger logger, string topic, string reason);

    [LoggerMessage(3015, LogLevel.Warning, "realtime.messages policy check for {Topic} as {Role} ({Check}) failed: {Reason}; treated as denied")]
    public static partial void ChannelPolicyFailed(ILogger logger, string topic, string role, string check, string reason);

    [LoggerMessage(3027, LogLevel.Warning, "Could not check the filter columns of a postgres_changes binding on {Table} as {Role}: {Reason}; the client is not told at join (such a filter still never fires)")]
    public static partial void FilterColumnCheckFailed(ILogger logger, string table, string role, string reason);

    [LoggerMessage(3016, LogLevel.Warning, "Could not evaluate realtime.messages policies for {Topic}: {Reason}")]
    public static partial void ChannelAuthorizationUnavailable(ILogger logger, string topic, string reason);

    [LoggerMessage(3017, LogLevel.Debug, "Private channel {Topic} as {Role}: {Policies}")]
    public static partial void ChannelPoliciesEvaluated(ILogger logger, string topic, string role, string policies);

    [LoggerMessage(3018, LogLevel.Warning, "Realtime socket fell behind the delivery log (no progress for {StallMs} ms while changes for it had to go): told on {Channels} channel(s), closing with 1008")]
    public static partial void ChangesMissed(ILogger logger, int channels, double stallMs);

    [LoggerMessage(3019, LogLevel.Debug, "Replayed {Count} broadcast(s) to {Topic} as {Role}")]
    public static partial void BroadcastsReplayed(ILogger logger, string topic, string role, int count);

    [LoggerMessage(3020, LogLevel.Warning, "Could not read the broadcast replay for {Topic}: {Reason}; the join is refused")]
    public static partial void ReplayUnavailable(ILogger logger, string topic, string reason);

    [LoggerMessage(3021, LogLevel.Information, "Resume state restored: {Channels} channel(s) may rejoin; the previous process had routed through {RoutedThrough}")]
    public static partial void ResumeStateRestored(ILogger logger, int channels, string routedThrough);

    [LoggerMessage(3022, LogLevel.Error, "Resume state {Path} could not be read ({Reason}): channels of the previous process resume with a gap message")]
    public static partial void ResumeStateUnreadable(ILogger logger, string path, string reason);

    [LoggerMessage(3023, LogLevel.Error, "Resume state {Path} could not be written ({Reason}): the slot is not acknowledged further until it can")]
    public static partial void ResumeStateUnwritable(ILogger logger, string path, string reason);

    [LoggerMessage(3024, LogLevel.Debug, "Channel {Topic} resumed after {From} (one of {Channels} rejoining together): {Deliveries} change delivery(ies) sent from the history to them")]
    public static partial void ChannelResumed(ILogger logger, string topic, string from, int channels, int deliveries);

    [LoggerMessage(3025, LogLevel.Warning, "Channel {Topic} cannot resume after {From}: {Reason}; the client is told")]
    public static partial void ResumeGap(ILogger logger, string topic, string from, string reason);

    [LoggerMessage(3028, LogLevel.Warning, "Binary broadcast to {Topic} (event {Event}) not sent: a binary frame carries a topic, event and metadata of at most 255 bytes each")]
    public static partial void BinaryBroadcastUnsendable(ILogger logger, string topic, string @event);
}
