using System.Globalization;
using MadBase.Edge.Hosting;

namespace MadBase.Edge.Realtime;

/// <summary>
/// Limits and timings of the realtime socket. Each has a <c>MADBASE_REALTIME_*</c> environment variable so tests
/// and operators can tune them without code; the defaults follow upstream Supabase Realtime
/// (docs/protocol/realtime.md §Connecting, §Limits).
/// </summary>
internal sealed class RealtimeOptions
{
    /// <summary>Largest data message (all fragments) a client may send; above it the socket closes with 1009.</summary>
    public int MaxMessageBytes { get; init; } = 1024 * 1024;

    /// <summary>Frames waiting for one slow client before new frames are dropped (each slot is one shared frame).</summary>
    public int OutboundQueueCapacity { get; init; } = 4096;

    /// <summary>How long a client's queue may stay full before the socket is closed with 1008.</summary>
    public TimeSpan OutboundFullGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Bytes the postgres_changes delivery log may hold (shared frames plus about 24 bytes per recipient). A burst
    /// larger than this still reaches every socket that keeps reading: the router then waits for them.
    /// </summary>
    public long LogMaxBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>How long the delivery log keeps changes that every recipient has read (unread ones stay until read).</summary>
    public TimeSpan LogMaxAge { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a postgres_changes channel whose socket ended without <c>phx_leave</c> is remembered, so a rejoin
    /// resumes from its position (0: off). Also how long committed transactions are kept to resume from.
    /// </summary>
    public TimeSpan ResumeWindow { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Encoded bytes of committed transactions kept for resuming (older ones go first; a resume past them is told).</summary>
    public long ResumeBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>Where the resume window is saved every second, so a kill -9 forgets no channel (null: not saved).</summary>
    public string? ResumeStatePath { get; init; }

    /// <summary>No frame at all for this long closes the socket (clients heartbeat every 25–30 s).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Upstream delays join error replies by 5 s so failing clients do not hammer the server.</summary>
    public TimeSpan JoinErrorDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long past <c>exp</c> a channel's token is still honoured: one heartbeat plus 30 s, because supabase-js
    /// refreshes early and pushes the new token on its next heartbeat
    /// (docs/protocol/realtime.md §Access token refresh).
    /// </summary>
    public TimeSpan TokenExpiryGrace { get; init; } = TimeSpan.FromSeconds(55);

    /// <summary>Channels one socket may join (upstream: 100, then ChannelRateLimitReached).</summary>
    public int MaxChannelsPerConnection { get; init; } = 100;

    /// <summary>
    /// Broadcast and presence pushes one socket may send per second (upstream's default tenant limit is 100 events/s;
    /// here it is per sender, so one noisy client cannot close everybody's channels). Over it, the push is dropped
    /// and, if it expects a reply, answered with an error.
    /// </summary>
    public int MaxEventsPerSecond { get; init; } = 100;

    /// <summary>
    /// Bytes of broadcast and presence pushes (whole client messages) one socket may send per second; the default is
    /// upstream's tenant <c>max_bytes_per_second</c> default, 100,000. Over it the push is dropped, answered with an
    /// error when it expects a reply, and its channel told with a <c>system</c> error (docs/protocol/realtime.md §Limits).
    /// </summary>
    public int MaxBytesPerSecond { get; init; } = 100_000;

    /// <summary>Channel joins one socket may send per second (upstream's default: 100); over it the join is refused.</summary>
    public int MaxJoinsPerSecond { get; init; } = 100;

    /// <summary>
    /// Realtime sockets on MadBase's own epoll loops (the default where supported) rather than Kestrel's socket
    /// transport; HTTP is served by Kestrel either way.
    /// </summary>
    public bool UseEpollTransport { get; init; } = Transport.LinuxSockets.IsSupported;

    public static RealtimeOptions FromEnvironment(Func<string, string?> environment)
    {
        var defaults = new RealtimeOptions();
        return new RealtimeOptions
        {
            MaxMessageBytes = ReadInt(environment, "MADBASE_REALTIME_MAX_MESSAGE_BYTES", defaults.MaxMessageBytes, 1024),
            OutboundQueueCapacity = ReadInt(environment, "MADBASE_REALTIME_OUTBOUND_QUEUE", defaults.OutboundQueueCapacity, 16),
            OutboundFullGrace = ReadMilliseconds(environment, "MADBASE_REALTIME_OUTBOUND_GRACE_MS", defaults.OutboundFullGrace),
            LogMaxBytes = ReadInt(environment, "MADBASE_REALTIME_LOG_BYTES", (int)defaults.LogMaxBytes, 64 * 1024),
            LogMaxAge = ReadMilliseconds(environment, "MADBASE_REALTIME_LOG_AGE_MS", defaults.LogMaxAge),
            IdleTimeout = ReadMilliseconds(environment, "MADBASE_REALTIME_IDLE_TIMEOUT_MS", defaults.IdleTimeout),
            JoinErrorDelay = ReadMilliseconds(environment, "MADBASE_REALTIME_JOIN_ERROR_DELAY_MS", defaults.JoinErrorDelay),
            TokenExpiryGrace = ReadMilliseconds(environment, "MADBASE_REALTIME_TOKEN_GRACE_MS", defaults.TokenExpiryGrace),
            MaxChannelsPerConnection = ReadInt(environment, "MADBASE_REALTIME_MAX_CHANNELS", defaults.MaxChannelsPerConnection, 1),
            MaxEventsPerSecond = ReadInt(environment, "MADBASE_REALTIME_MAX_EVENTS_PER_SECOND", defaults.MaxEventsPerSecond, 1),
            MaxBytesPerSecond = ReadInt(environment, "MADBASE_REALTIME_MAX_BYTES_PER_SECOND", defaults.MaxBytesPerSecond, 1024),
            MaxJoinsPerSecond = ReadInt(environment, "MADBASE_REALTIME_MAX_JOINS_PER_SECOND", defaults.MaxJoinsPerSecond, 1),
            UseEpollTransport = ReadTransport(environment, defaults.UseEpollTransport),
            ResumeWindow = TimeSpan.FromSeconds(ReadInt(environment, "MADBASE_REALTIME_RESUME_WINDOW", (int)defaults.ResumeWindow.TotalSeconds, 0)),
            ResumeBytes = ReadInt(environment, "MADBASE_REALTIME_RESUME_BYTES", (int)defaults.ResumeBytes, 64 * 1024),
            ResumeStatePath = ResumeState(environment),
        };
    }

    /// <summary><c>MADBASE_REALTIME_RESUME_STATE</c>, by default a file in the scratch directory (node-local, like the state).</summary>
    private static string ResumeState(Func<string, string?> environment) =>
        environment("MADBASE_REALTIME_RESUME_STATE") is { Length: > 0 } path ? path
            : Path.Combine(environment("MADBASE_SCRATCH_DIR") is { Length: > 0 } scratch ? scratch : "./.madbase/scratch", "realtime-resume.json");

    private static bool ReadTransport(Func<string, string?> environment, bool fallback)
    {
        const string variable = "MADBASE_REALTIME_TRANSPORT";
        switch (environment(variable))
        {
            case null or "":
                return fallback;
            case "kestrel":
                return false;
            case "epoll" when Transport.LinuxSockets.IsSupported:
                return true;
            case "epoll":
                throw new ConfigurationException(variable, "epoll needs Linux on x86-64; use kestrel");
            case var other:
                throw new ConfigurationException(variable, $"'{other}' is not epoll or kestrel");
        }
    }

    private static int ReadInt(Func<string, string?> environment, string variable, int fallback, int minimum)
    {
        var text = environment(variable);
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < minimum)
        {
            throw new ConfigurationException(variable, $"'{text}' is not an integer >= {minimum}");
        }

        return value;
    }

    private static TimeSpan ReadMilliseconds(Func<string, string?> environment, string variable, TimeSpan fallback) =>
        string.IsNullOrEmpty(environment(variable)) ? fallback : TimeSpan.FromMilliseconds(ReadInt(environment, variable, 0, 0));
}
