namespace MadBase.Edge.Configuration;

/// <summary>
/// Limits and timings of the realtime socket, as read by <see cref="EdgeOptionsParser"/> from the settings registry
/// (<see cref="EdgeSetting"/>: each has a <c>MADBASE_REALTIME_*</c> variable and a flag, and its default is written
/// there once). The defaults follow upstream Supabase Realtime (docs/protocol/realtime.md §Connecting, §Limits).
/// </summary>
internal sealed class RealtimeOptions
{
    /// <summary>Every setting at its default (what a node started with no <c>MADBASE_REALTIME_*</c> setting has).</summary>
    public static RealtimeOptions Defaults { get; } = EdgeOptionsParser.DefaultRealtime();

    /// <summary>Largest data message (all fragments) a client may send; above it the socket closes with 1009.</summary>
    public required int MaxMessageBytes { get; init; }

    /// <summary>Frames waiting for one slow client before new frames are dropped (each slot is one shared frame).</summary>
    public required int OutboundQueueCapacity { get; init; }

    /// <summary>How long a client's queue may stay full before the socket is closed with 1008.</summary>
    public required TimeSpan OutboundFullGrace { get; init; }

    /// <summary>
    /// Bytes the postgres_changes delivery log may hold (shared frames plus about 24 bytes per recipient). A burst
    /// larger than this still reaches every socket that keeps reading: the router then waits for them.
    /// </summary>
    public required long LogMaxBytes { get; init; }

    /// <summary>How long the delivery log keeps changes that every recipient has read (unread ones stay until read).</summary>
    public required TimeSpan LogMaxAge { get; init; }

    /// <summary>
    /// How long a postgres_changes channel whose socket ended without <c>phx_leave</c> is remembered, so a rejoin
    /// resumes from its position (0: off). Also how long committed transactions are kept to resume from.
    /// </summary>
    public required TimeSpan ResumeWindow { get; init; }

    /// <summary>Encoded bytes of committed transactions kept for resuming (older ones go first; a resume past them is told).</summary>
    public required long ResumeBytes { get; init; }

    /// <summary>
    /// How often a socket that took postgres_changes since its client last proved receipt is sent a WebSocket Ping;
    /// the Pong proves every change before it reached the client, so a resume after a crash or a cut repeats about
    /// this much. Zero: only the client's heartbeats prove (repeats of up to two heartbeat intervals).
    /// </summary>
    public required TimeSpan ProofPingInterval { get; init; }

    /// <summary>Where the resume window is saved twice a second, so a kill -9 forgets no channel (null: not saved).</summary>
    public string? ResumeStatePath { get; init; }

    /// <summary>No frame at all for this long closes the socket (clients heartbeat every 25–30 s).</summary>
    public required TimeSpan IdleTimeout { get; init; }

    /// <summary>Upstream delays join error replies by 5 s so failing clients do not hammer the server.</summary>
    public required TimeSpan JoinErrorDelay { get; init; }

    /// <summary>
    /// How long past <c>exp</c> a channel's token is still honoured: one heartbeat plus 30 s, because supabase-js
    /// refreshes early and pushes the new token on its next heartbeat
    /// (docs/protocol/realtime.md §Access token refresh).
    /// </summary>
    public required TimeSpan TokenExpiryGrace { get; init; }

    /// <summary>Channels one socket may join (upstream: 100, then ChannelRateLimitReached).</summary>
    public required int MaxChannelsPerConnection { get; init; }

    /// <summary>
    /// Broadcast and presence pushes one socket may send per second (upstream's default tenant limit is 100 events/s;
    /// here it is per sender, so one noisy client cannot close everybody's channels). Over it, the push is dropped
    /// and, if it expects a reply, answered with an error.
    /// </summary>
    public required int MaxEventsPerSecond { get; init; }

    /// <summary>
    /// Bytes of broadcast and presence pushes (whole client messages) one socket may send per second; the default is
    /// upstream's tenant <c>max_bytes_per_second</c> default, 100,000. Over it the push is dropped, answered with an
    /// error when it expects a reply, and its channel told with a <c>system</c> error (docs/protocol/realtime.md §Limits).
    /// </summary>
    public required int MaxBytesPerSecond { get; init; }

    /// <summary>Channel joins one socket may send per second (upstream's default: 100); over it the join is refused.</summary>
    public required int MaxJoinsPerSecond { get; init; }

    /// <summary>
    /// Realtime sockets on MadBase's own epoll loops (the default where supported) rather than Kestrel's socket
    /// transport; HTTP is served by Kestrel either way.
    /// </summary>
    public required bool UseEpollTransport { get; init; }
}
