using MadBase.Edge.Auth;
using MadBase.Edge.Realtime.Authorization;
using MadBase.Edge.Realtime.PostgresChanges;
using MadBase.Edge.Realtime.Replay;
using MadBase.Edge.WebSockets;
using MadBase.Protocol.Phoenix;

namespace MadBase.Edge.Realtime;

/// <summary>
/// One joined channel of one socket. Created and mutated by its socket's read loop; read concurrently by the
/// broadcast fan-out and the change router, so everything they read is either immutable or volatile.
/// </summary>
internal sealed class RealtimeChannel : Delivery.IChangeRecipient
{
    public const string TopicPrefix = "realtime:";

    private JwtClaims _claims;
    private string? _token;
    private ChannelPolicies _policies;
    private volatile bool _presenceEnabled;
    private volatile bool _closed;
    private volatile bool _live;
    private PositionMark _deliverAfter = PositionMark.None;

    public RealtimeChannel(string topic, string joinRef, PhoenixVersion version, OutboundQueue outbound, JoinConfig config, JwtClaims claims, string? token, ChannelPolicies policies)
    {
        Topic = topic;
        Name = NameOf(topic);
        IsPrivate = config.Private;
        _policies = policies;
        JoinRef = joinRef;
        JoinRefUtf8 = System.Text.Encoding.UTF8.GetBytes(joinRef);
        Version = version;
        Outbound = outbound;
        BroadcastSelf = config.BroadcastSelf;
        BroadcastAck = config.BroadcastAck;
        WantsReplicationReady = config.ReplicationReady;
        PresenceKey = string.IsNullOrEmpty(config.PresenceKey) ? Guid.NewGuid().ToString() : config.PresenceKey;
        _presenceEnabled = config.PresenceEnabled;
        _claims = claims;
        _token = token;

        // The session refuses a replay on a public channel or with invalid params before a channel exists.
        Replay = config.Private && config.Replay is { Shape: ReplayShape.Valid } ? new ReplayGate() : null;
    }

    public string Topic { get; }

    /// <summary>When a push shed by the bytes limit last told this channel (0: never; under the session lock).</summary>
    public long BytesLimitToldAt { get; set; }

    /// <summary>A private channel (<c>config.private</c>): a topic of its own, separate from the public one of the same name.</summary>
    public bool IsPrivate { get; }

    /// <summary>Where broadcast and presence fan-out find this channel: private and public topics never mix.</summary>
    public TopicKey Key => new(Topic, IsPrivate);

    /// <summary>The <c>realtime.messages</c> grants (<see cref="ChannelPolicies.All"/> for public channels and service_role).</summary>
    public ChannelPolicies Policies
    {
        get => Volatile.Read(ref _policies);
        set => Volatile.Write(ref _policies, value);
    }

    /// <summary>Broadcasts reach it: public, or a private channel whose broadcast read was granted.</summary>
    public bool ReceivesBroadcast => Policies.BroadcastRead == true;

    /// <summary>Presence events reach it: presence is on and (for a private channel) presence read was granted.</summary>
    public bool ReceivesPresence => _presenceEnabled && Policies.PresenceRead == true;

    /// <summary>The topic without <c>realtime:</c>, as <c>system</c> messages name the channel.</summary>
    public string Name { get; }

    public string JoinRef { get; }

    /// <summary><see cref="JoinRef"/> as UTF-8, to compare incoming frames' join_ref without allocating.</summary>
    public byte[] JoinRefUtf8 { get; }

    public PhoenixVersion Version { get; }

    public OutboundQueue Outbound { get; }

    public bool BroadcastSelf { get; }

    public bool BroadcastAck { get; }

    public string PresenceKey { get; }

    /// <summary>Presence events are sent to this channel (join config, or the first track).</summary>
    public bool PresenceEnabled
    {
        get => _presenceEnabled;
        set => _presenceEnabled = value;
    }

    public bool IsClosed => _closed;

    /// <summary>
    /// Set while a <c>broadcast.replication_ready</c> join waits for the database stream: the time after which the
    /// channel is closed instead (upstream: one minute). Read and cleared under the session's lock.
    /// </summary>
    public DateTimeOffset? ReplicationReadyDeadline { get; set; }

    /// <summary>The join asked for <c>broadcast.replication_ready</c>.</summary>
    public bool WantsReplicationReady { get; }

    /// <summary>
    /// The join's replies are queued: from now on its postgres_changes may be written. Before, the socket's log reader
    /// waits at this channel's first change, so no change overtakes the join reply that says SUBSCRIBED.
    /// </summary>
    public bool IsLive => _live;

    /// <summary>Where this channel's socket reads postgres_changes from; set at join when it has bindings.</summary>
    public Delivery.LogCursor? Cursor { get; set; }

    /// <summary>Who this channel acts as for RLS; replaced by <c>access_token</c> pushes.</summary>
    public JwtClaims Claims => Volatile.Read(ref _claims);

    public string? Token => Volatile.Read(ref _token);

    public PostgresBinding[] Bindings { get; set; } = [];

    /// <summary>
    /// The router skips this channel's changes at or before this position: a resumed channel was sent them from the
    /// history, and after a restart a fresh one must not get what the previous process had already routed.
    /// </summary>
    public Delivery.ChangePosition DeliverAfter
    {
        get => Volatile.Read(ref _deliverAfter).Position;
        set => Volatile.Write(ref _deliverAfter, new PositionMark(value));
    }

    /// <summary>Where this channel started receiving (its join, or the position it resumed from).</summary>
    public Delivery.ChangePosition Start { get; set; }

    /// <summary>
    /// For a resumed channel, the delivery-log sequence its replay lies below (<see cref="long.MaxValue"/> until the
    /// router has appended the replay); 0 for any other join. The socket's proofs are positions of the live stream: the
    /// replay's changes lie below them, so they say nothing about this channel until one covers this sequence
    /// (<see cref="RealtimeSession"/>'s <c>PositionOf</c>).
    /// </summary>
    public long ReplayEnd
    {
        get => Volatile.Read(ref _replayEnd);
        set => Volatile.Write(ref _replayEnd, value);
    }

    private long _replayEnd;

    /// <summary>How a rejoin finds this channel again; null when it has no postgres_changes or resume is off.</summary>
    public Resume.ResumeKey? ResumeKey { get; set; }

    /// <summary>What a rejoin of a silent client reads this channel's position through (with <see cref="ResumeKey"/>).</summary>
    public Resume.IResumeTwin? Twin { get; set; }

    /// <summary>Orders the join's broadcast replay before live frames; null when the join asked for none.</summary>
    public ReplayGate? Replay { get; }

    public void UpdateAuth(JwtClaims claims, string token)
    {
        Volatile.Write(ref _claims, claims);
        Volatile.Write(ref _token, token);
    }

    public void MarkClosed() => _closed = true;

    /// <summary>Called once the join's replies are queued; wakes the socket's log reader.</summary>
    public void MarkLive()
    {
        _live = true;
        Cursor?.Notify();
    }

    /// <summary>The channel name as the client gave it: the topic without <c>realtime:</c>.</summary>
    public static string NameOf(string topic) => topic.StartsWith(TopicPrefix, StringComparison.Ordinal) ? topic[TopicPrefix.Length..] : topic;

    /// <summary>Queues a broadcast or presence frame for this channel's socket; false when it was dropped (slow or closing client).</summary>
    public bool Send(in OutboundFrame frame) => Send(frame, messageId: null);

    /// <summary>As above; <paramref name="messageId"/> names a database broadcast's row, which a replay may already have sent.</summary>
    public bool Send(in OutboundFrame frame, string? messageId) =>
        !_closed && (Replay is { } replay ? replay.Send(Outbound, frame, messageId) : Outbound.TryEnqueue(frame));

    private sealed record PositionMark(Delivery.ChangePosition Position)
    {
        public static readonly PositionMark None = new(Delivery.ChangePosition.None);
    }
}
