using System.Collections.Concurrent;
using MadBase.Edge.Auth;
using MadBase.Edge.Diagnostics;
using MadBase.Edge.Realtime.Authorization;
using MadBase.Edge.Realtime.Delivery;
using MadBase.Edge.Realtime.PostgresChanges;
using MadBase.Edge.Realtime.Replay;
using MadBase.Edge.Realtime.Resume;
using MadBase.Edge.Replication;
using MadBase.Edge.WebSockets;
using MadBase.Protocol.Phoenix;

namespace MadBase.Edge.Realtime;

/// <summary>
/// The process-wide realtime state every socket session shares: topics, presence, the postgres_changes index and
/// the set of live sessions (for the idle/expiry sweep and the 1001 close on shutdown).
/// </summary>
internal sealed partial class RealtimeHub : IDisposable
{
    private readonly ConcurrentDictionary<RealtimeSession, byte> _sessions = new();
    private readonly ITimer _sweeper;
    private readonly ITimer? _prover;
    private volatile bool _stopping;
    private PositionMark _catchUp = new(ChangePosition.None);

    public RealtimeHub(RealtimeOptions options, Jwt jwt, ApiKeys apiKeys, TimeProvider time, EdgeMetrics edgeMetrics, ILoggerFactory loggers, ChannelAuthorizer authorizer,
        FilterColumnCheck filterColumns, ReplayReader replays, ReplicationState replication)
    {
        Options = options;
        ReplicationStatus = replication;
        Authorizer = authorizer;
        FilterColumns = filterColumns;
        Replays = replays;
        Jwt = jwt;
        ApiKeys = apiKeys;
        Time = time;
        Metrics = new RealtimeMetrics(edgeMetrics);
        SocketMetrics = new WebSocketMetrics(edgeMetrics);
        Logger = loggers.CreateLogger("MadBase.Edge.Realtime");
        Fanout = new TopicFanout(Topics);
        Limits = new WebSocketLimits(options.MaxMessageBytes, options.OutboundQueueCapacity, options.OutboundFullGrace);
        DeliveryLog = new DeliveryLog(new DeliveryLogOptions(options.LogMaxBytes, options.LogMaxAge, options.OutboundFullGrace), time, Metrics.LogOverruns, Metrics.LogWaits,
            new LogTurnoverCollector(LogTurnoverCollector.BytesPerCollection(options.LogMaxBytes), Metrics.LogCollections));
        edgeMetrics.Gauge("madbase_realtime_log_bytes", "Bytes held by the postgres_changes delivery log (frames and bookkeeping).", () => DeliveryLog.Bytes);
        edgeMetrics.Gauge("madbase_realtime_log_entries", "Changes held by the postgres_changes delivery log.", () => DeliveryLog.Count);
        History = new ChangeHistory(options.ResumeWindow, options.ResumeBytes, time);
        Resumes = new ResumeRegistry(options.ResumeWindow, time);
        edgeMetrics.Gauge("madbase_realtime_resume_history_bytes", "Encoded bytes of the committed transactions held for resuming channels.", () => History.Bytes);
        edgeMetrics.Gauge("madbase_realtime_resume_remembered", "postgres_changes channels remembered for a rejoin (their socket ended without phx_leave).", () => Resumes.Count);
        edgeMetrics.Gauge("madbase_realtime_connections", "Open realtime WebSocket connections.", () => _sessions.Count);
        edgeMetrics.Gauge("madbase_realtime_channels", "Joined channels across all connections.", () => Topics.ChannelCount);
        edgeMetrics.Gauge("madbase_realtime_topics", "Distinct topics with at least one channel.", () => Topics.TopicCount);
        edgeMetrics.Gauge("madbase_realtime_postgres_bindings", "Registered postgres_changes bindings.", () => Subscriptions.Count);

        // One timer for every socket instead of one per socket: idle sockets cost no timer memory.
        var period = TimeSpan.FromMilliseconds(Math.Clamp(options.IdleTimeout.TotalMilliseconds / 4, 250, 5000));
        _sweeper = time.CreateTimer(_ => Sweep(), null, period, period);

        // Proof pings serve resumes only: without a resume window nothing is remembered at a proven position.
        if (Resumes.Enabled && options.ProofPingInterval > TimeSpan.Zero)
        {
            _prover = time.CreateTimer(_ => AskForProof(), null, options.ProofPingInterval, options.ProofPingInterval);
        }
    }

    public RealtimeOptions Options { get; }

    /// <summary>The database stream's state: whether it is live, for <c>broadcast.replication_ready</c>.</summary>
    public ReplicationState ReplicationStatus { get; }

    public Jwt Jwt { get; }

    /// <summary>The node's opaque <c>sb_…</c> keys, accepted as the socket's key and by the broadcast REST API.</summary>
    public ApiKeys ApiKeys { get; }

    /// <summary>Evaluates private channels' <c>realtime.messages</c> policies.</summary>
    public ChannelAuthorizer Authorizer { get; }

    /// <summary>Tells a joining channel about filters on columns its role may not read (upstream refuses those).</summary>
    public FilterColumnCheck FilterColumns { get; }

    /// <summary>Reads private channels' broadcast replays from <c>realtime.messages</c>.</summary>
    public ReplayReader Replays { get; }

    public TimeProvider Time { get; }

    public RealtimeMetrics Metrics { get; }

    public WebSocketMetrics SocketMetrics { get; }

    public ILogger Logger { get; }

    public WebSocketLimits Limits { get; }

    public TopicRegistry Topics { get; } = new();

    /// <summary>Sends broadcasts and presence diffs to a topic's channels on this node.</summary>
    public TopicFanout Fanout { get; }

    /// <summary>Committed changes with their frames and recipients, read by every socket at its own pace.</summary>
    public DeliveryLog DeliveryLog { get; }

    public PresenceRegistry Presence { get; } = new();

    /// <summary>The committed transactions of the resume window (read and appended by the router only).</summary>
    public ChangeHistory History { get; }

    /// <summary>Channels whose socket ended without leaving, for a rejoin within the window.</summary>
    public ResumeRegistry Resumes { get; }

    /// <summary>Rejoins waiting for the router to send them what they missed.</summary>
    public System.Threading.Channels.Channel<ResumeRequest> ResumeRequests { get; } =
        System.Threading.Channels.Channel.CreateUnbounded<ResumeRequest>(new() { SingleReader = true });

    /// <summary>
    /// What the previous process had routed when it stopped (from the resume state file): the slot streams those
    /// transactions again, and a fresh join must not receive them as new.
    /// </summary>
    public ChangePosition CatchUpThrough
    {
        get => Volatile.Read(ref _catchUp).Position;
        set => Volatile.Write(ref _catchUp, new PositionMark(value));
    }

    /// <summary>Every live postgres_changes channel's resume positions (for the resume keeper's snapshot).</summary>
    public void CollectResumePoints(List<ResumePoint> into)
    {
        foreach (var (session, _) in _sessions)
        {
            session.CollectResumePoints(into);
        }
    }

    public SubscriptionIndex<RealtimeChannel> Subscriptions { get; } = new();

    public bool IsStopping => _stopping;

    public int ConnectionCount => _sessions.Count;

    public void Register(RealtimeSession session) => _sessions.TryAdd(session, 0);

    public void Unregister(RealtimeSession session) => _sessions.TryRemove(session, out _);

    /// <summary>ApplicationStopping: every socket gets Close 1001 so clients reconnect elsewhere (or after restart).</summary>
    public void CloseAll()
    {
        _stopping = true;
        foreach (var (session, _) in _sessions)
        {
            session.Connection.Close(Protocol.WebSockets.WebSocketCloseStatus.GoingAway, "server shutting down");
        }
    }

    public void Dispose()
    {
        _sweeper.Dispose();
        _prover?.Dispose();
        DeliveryLog.Dispose();
    }

    /// <summary>
    /// Sends <c>[null,null,topic,"broadcast",payload]</c> to every channel of <paramref name="key"/> but
    /// <paramref name="except"/> (and private channels without broadcast read), the payload bytes untouched and
    /// one frame per serializer version shared by all; in cluster mode the other nodes' channels get it too.
    /// </summary>
    /// <param name="messageId">The <c>realtime.messages</c> id of a database broadcast, so a channel that replayed it skips it.</param>
    /// <returns>Frames queued on this node.</returns>
    public int BroadcastText(TopicKey key, ReadOnlySpan<byte> payloadJson, RealtimeChannel? except, string? messageId = null)
    {
        Cluster?.PublishBroadcast(PeerBroadcastKind.Text, key, [], [], PhoenixPayloadEncoding.Json, messageId, payloadJson);
        return DeliverText(key, payloadJson, except, messageId);
    }

    /// <summary><see cref="BroadcastText"/> on this node only (the origin's own share, or a peer's broadcast).</summary>
    public int DeliverText(TopicKey key, ReadOnlySpan<byte> payloadJson, RealtimeChannel? except, string? messageId) =>
        Fanout.Send(key, new TextBroadcastFrame(key.Topic, payloadJson), TopicFanout.Audience.Broadcast, except, messageId, Metrics.BroadcastDeliveries);

    /// <summary>Raw bytes as a kind-4 frame to the topic's vsn 2.0.0 channels (v1 cannot carry raw bytes), on every node.</summary>
    /// <param name="messageId">
    /// A database broadcast's row id (<c>realtime.send_binary</c>): sent as the frame's metadata <c>{"id":…}</c>, which
    /// the client shows as <c>meta</c>, as upstream does. Other nodes deliver the bytes without it (the cluster's raw
    /// message carries no metadata).
    /// </param>
    public int BroadcastRaw(TopicKey key, string @event, ReadOnlySpan<byte> payload, string? messageId = null)
    {
        if (!RawBroadcastFrame.Fits(key.Topic, @event, messageId))
        {
            return RefuseUnsendable(key, @event); // not published either: no node could send it
        }

        Cluster?.PublishBroadcast(PeerBroadcastKind.Raw, key, System.Text.Encoding.UTF8.GetBytes(@event), [], PhoenixPayloadEncoding.Raw, null, payload);
        return SendRaw(key, @event, payload, messageId);
    }

    /// <summary><see cref="BroadcastRaw"/> on this node only (a <c>realtime.send_binary</c> row, or a peer's broadcast).</summary>
    public int DeliverRaw(TopicKey key, string @event, ReadOnlySpan<byte> payload, string? messageId = null) =>
        RawBroadcastFrame.Fits(key.Topic, @event, messageId) ? SendRaw(key, @event, payload, messageId) : RefuseUnsendable(key, @event);

    /// <summary>The fan-out of a raw broadcast whose frame fits (checked by the caller).</summary>
    private int SendRaw(TopicKey key, string @event, ReadOnlySpan<byte> payload, string? messageId) =>
        Fanout.Send(key, new RawBroadcastFrame(key.Topic, @event, messageId, payload), TopicFanout.Audience.Broadcast, except: null, messageId, Metrics.BroadcastDeliveries);

    /// <summary>
    /// A binary broadcast no frame can carry: counted and logged for its sender (a database row has no one else to tell;
    /// the REST API answers 400 before it gets here). It never reaches a fan-out: building its frame would throw in the
    /// change router, which retries a failed change forever.
    /// </summary>
    private int RefuseUnsendable(TopicKey key, string @event)
    {
        Metrics.BroadcastsUnsendable.Increment();
        Log.BinaryBroadcastUnsendable(Logger, key.Topic, @event);
        return 0;
    }

    private void Sweep()
    {
        var now = Time.GetUtcNow();

        // Enumerating the dictionary itself, not .Keys: that would copy every session into a new (large object
        // heap) list on every sweep.
        foreach (var (session, _) in _sessions)
        {
            if (session.Connection.IdleFor > Options.IdleTimeout)
            {
                Logging.Log.IdleConnectionClosed(Logger, Options.IdleTimeout.TotalSeconds);
                session.Connection.Close(Protocol.WebSockets.WebSocketCloseStatus.NormalClosure, "idle timeout");
                continue;
            }

            session.CloseExpiredChannels(now);
            session.NotifyReplicationReady(now);
        }
    }

    private void AskForProof()
    {
        foreach (var (session, _) in _sessions)
        {
            session.AskForProof(Options.ProofPingInterval);
        }
    }

    private sealed record PositionMark(ChangePosition Position);
}
