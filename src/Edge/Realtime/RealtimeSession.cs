using System.Text;
using System.Text.Unicode;
using MadBase.Edge.Auth;
using MadBase.Edge.Realtime.Collections;
using MadBase.Edge.Realtime.Delivery;
using MadBase.Edge.WebSockets;
using MadBase.Protocol;
using MadBase.Protocol.Phoenix;
using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Realtime;

/// <summary>
/// The Phoenix channel protocol of one socket (docs/protocol/realtime.md, §Heartbeat and reconnects through §Presence).
/// Messages arrive one at a time from the socket's read loop; the channel table is also touched by the hub's expiry
/// sweep, hence the lock. Nothing here blocks: every frame goes to an <see cref="OutboundQueue"/>, including frames for
/// other sockets.
/// </summary>
internal sealed partial class RealtimeSession : IWebSocketMessageHandler, IChangeGapHandler, IOutboundDropListener, IResumeListener
{
    /// <summary>What a socket the delivery log had to leave behind reads on each postgres_changes channel before the 1008.</summary>
    internal const string ChangesMissedMessage =
        "Changes were missed: this client did not read them before the server's change log had to drop them. Refetch and subscribe again.";

    /// <summary>What every postgres_changes channel reads when changes never reached this node (cluster mode).</summary>
    internal const string ChangeStreamGapMessage =
        "Changes were missed: this server did not read them from the cluster's change stream before the stream's limits removed them. Refetch.";

    private readonly RealtimeHub _hub;
    private ChannelTable _channels;
    private readonly JwtClaims _connectClaims;
    private readonly string _connectToken;
    private TokenBucket _eventRate;
    private TokenBucket _byteRate;
    private TokenBucket _joinRate;

    /// <summary>This socket's position in the delivery log; created at its first postgres_changes join.</summary>
    private LogCursor? _cursor;

    public RealtimeSession(RealtimeHub hub, WebSocketConnection connection, PhoenixVersion version, JwtClaims claims, string token)
    {
        _hub = hub;
        Connection = connection;
        Version = version;
        _connectClaims = claims;
        _connectToken = token;
        _eventRate = new TokenBucket(hub.Options.MaxEventsPerSecond);
        _byteRate = new TokenBucket(hub.Options.MaxBytesPerSecond);
        _joinRate = new TokenBucket(hub.Options.MaxJoinsPerSecond);
        connection.Outbound.ListenForDrops(this);
    }

    public WebSocketConnection Connection { get; }

    /// <summary>
    /// The session's lock: the session object itself, private to this class (nothing else locks on it). A separate
    /// lock object would be 40 more bytes on every idle socket; an uncontended monitor costs none.
    /// </summary>
    private RealtimeSession Gate => this;

    public PhoenixVersion Version { get; }

    public void OnMessage(WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        lock (Gate)
        {
            Handle(opcode, payload, fromQueue: false);
        }
    }

    public void OnClosed()
    {
        lock (Gate)
        {
            _closed = true;
            _cursor?.Detach(); // holds no log entries any more
            foreach (var channel in _channels.ToArray())
            {
                RememberForResume(channel);
                Leave(channel);
            }
        }

        _hub.Unregister(this);
    }

    /// <summary>
    /// The delivery log evicted changes this socket had not read (it stopped reading, or read too slowly for too long):
    /// every postgres_changes channel gets a <c>system</c> error saying so, then the socket closes with 1008. The
    /// backlog is dropped, so these are the next frames the client reads (docs/protocol/realtime.md §System messages).
    /// </summary>
    public void OnChangesMissed(LogCursor cursor)
    {
        var frames = new List<OutboundFrame>();
        lock (Gate)
        {
            foreach (var channel in _channels.ToArray())
            {
                if (ReferenceEquals(channel.Cursor, cursor) && channel.Bindings.Length > 0)
                {
                    frames.Add(new OutboundFrame(SystemMessage(channel, "postgres_changes", ok: false, ChangesMissedMessage)));
                }
            }
        }

        Log.ChangesMissed(_hub.Logger, frames.Count, _hub.Options.OutboundFullGrace.TotalMilliseconds);
        Connection.Outbound.CompleteWith([.. frames]);
        Connection.Close(WebSocketCloseStatus.PolicyViolation, "changes missed: the client fell behind");
    }

    /// <summary>
    /// Broadcast or presence frames were dropped for this socket (its queue was full) and there is room again: every
    /// channel gets a <c>system</c> error saying how many, so the drop is never silent. A socket that keeps its queue
    /// full past the grace is closed with 1008 instead.
    /// </summary>
    public void OnFramesDropped(long dropped)
    {
        lock (Gate)
        {
            var message = $"{dropped} message(s) were dropped for this client: it did not read them fast enough";
            foreach (var channel in _channels.ToArray())
            {
                Send(SystemMessage(channel, "broadcast", ok: false, message));
            }
        }
    }

    /// <summary>Changes were lost before they reached this node (cluster mode): every postgres_changes channel is told.</summary>
    public void TellChangesMissed()
    {
        lock (Gate)
        {
            foreach (var channel in _channels.ToArray())
            {
                if (channel.Bindings.Length > 0)
                {
                    Send(SystemMessage(channel, "postgres_changes", ok: false, ChangeStreamGapMessage));
                }
            }
        }
    }

    /// <summary>
    /// Broadcasts other nodes sent to this node were lost on the way (cluster mode: a gap in a peer's sequence, so
    /// the topics are unknown): every channel that receives broadcasts is told.
    /// </summary>
    public void TellBroadcastsLost(string message)
    {
        lock (Gate)
        {
            foreach (var channel in _channels.ToArray())
            {
                if (channel.ReceivesBroadcast)
                {
                    Send(SystemMessage(channel, "broadcast", ok: false, message));
                }
            }
        }
    }

    /// <summary>
    /// Charges a client message to this socket's rates once, when it arrives (a message handled again after a policy
    /// check, or released from behind one, is not charged twice). Over <see cref="RealtimeOptions.MaxJoinsPerSecond"/>
    /// a join is refused; over <see cref="RealtimeOptions.MaxEventsPerSecond"/> or
    /// <see cref="RealtimeOptions.MaxBytesPerSecond"/> a broadcast or presence push is shed, with an error reply when
    /// it expects one (and, for bytes, a <c>system</c> error on its channel). Only this sender is affected (upstream
    /// closes every receiving channel instead, docs/protocol/realtime.md §Limits).
    /// </summary>
    /// <returns>True when the message was refused and must not be handled.</returns>
    private bool IsOverRate(in PhoenixMessage message, int bytes)
    {
        if (message.Event.ValueEquals("phx_join"u8))
        {
            if (_joinRate.TryTake(_hub.Time))
            {
                return false;
            }

            _hub.Metrics.JoinsRateLimited.Increment();
            RefuseJoin(message, $"ClientJoinRateLimitReached: Too many joins per second (limit {_hub.Options.MaxJoinsPerSecond})");
            return true;
        }

        if (!(message.Event.ValueEquals("broadcast"u8) || message.Event.ValueEquals("presence"u8)))
        {
            return false;
        }

        if (!_eventRate.TryTake(_hub.Time))
        {
            _hub.Metrics.EventsRateLimited.Increment();
            if (!message.Ref.IsNull)
            {
                Send(PhoenixFrames.Reply(Version, message, PhoenixReplyStatus.Error, """{"reason":"Too many messages per second"}"""u8));
            }

            return true;
        }

        if (_byteRate.TryTake(_hub.Time, bytes))
        {
            return false;
        }

        if (!message.Ref.IsNull)
        {
            Send(PhoenixFrames.Reply(Version, message, PhoenixReplyStatus.Error, s_tooManyBytesReason));
        }

        ShedForBytes(SharedStrings.Get(message.Topic));
        return true;
    }

    /// <summary>
    /// What a push shed by the bytes limit is told, worded like upstream's "Too many messages per second": upstream
    /// stores a <c>max_bytes_per_second</c> but never enforces it, so it has no text of its own
    /// (docs/protocol/realtime.md §Limits).
    /// </summary>
    private const string TooManyBytesMessage = "Too many bytes per second";

    private static readonly byte[] s_tooManyBytesReason = """{"reason":"Too many bytes per second"}"""u8.ToArray();

    /// <summary>
    /// Counts a push shed by <see cref="RealtimeOptions.MaxBytesPerSecond"/> and tells its channel with a
    /// <c>system</c> error — so a client that sent without <c>ack</c> (its <c>send()</c> resolves at once) learns it too —
    /// at most once a second per channel, so a flooding client does not get a reply per shed push, and every channel it
    /// floods is told.
    /// </summary>
    private void ShedForBytes(string? topic)
    {
        _hub.Metrics.BytesRateLimited.Increment();
        if (topic is null || !_channels.TryGetValue(topic, out var channel))
        {
            return;
        }

        var now = _hub.Time.GetTimestamp();
        if (channel.BytesLimitToldAt == 0 || _hub.Time.GetElapsedTime(channel.BytesLimitToldAt, now) >= TimeSpan.FromSeconds(1))
        {
            channel.BytesLimitToldAt = now;
            Send(SystemMessage(channel, "system", ok: false, TooManyBytesMessage));
        }
    }

    /// <summary>Closes channels whose token expired longer ago than the grace
    /// (docs/protocol/realtime.md §Access token refresh).</summary>
    public void CloseExpiredChannels(DateTimeOffset now)
    {
        lock (Gate)
        {
            // Checked without copying first: this runs for every socket on every sweep, and tokens rarely expire.
            if (!_channels.Any(static (channel, state) => IsExpired(channel, state.now, state.grace), (now, grace: _hub.Options.TokenExpiryGrace)))
            {
                return;
            }

            foreach (var channel in _channels.ToArray())
            {
                if (IsExpired(channel, now, _hub.Options.TokenExpiryGrace) && channel.Claims.ExpiresAt is { } expiresAt)
                {
                    var ago = (long)(now - expiresAt).TotalSeconds;
                    CloseChannel(channel, $"Token has expired {ago} seconds ago");
                }
            }
        }
    }

    /// <summary>Upstream's wait for the database stream before closing a <c>replication_ready</c> channel.</summary>
    private static readonly TimeSpan ReplicationReadyTimeout = TimeSpan.FromMinutes(1);

    /// <summary>
    /// <c>broadcast.replication_ready</c> channels still waiting: a <c>system</c> ok "Replication connection
    /// established" once the database stream is live, or upstream's close after the timeout. Called by the sweep.
    /// </summary>
    public void NotifyReplicationReady(DateTimeOffset now)
    {
        lock (Gate)
        {
            if (!_channels.Any(static (channel, _) => channel.ReplicationReadyDeadline is not null, 0))
            {
                return;
            }

            foreach (var channel in _channels.ToArray())
            {
                NotifyReplicationReady(channel, now);
            }
        }
    }

    private void NotifyReplicationReady(RealtimeChannel channel, DateTimeOffset now)
    {
        if (channel.ReplicationReadyDeadline is not { } deadline)
        {
            return;
        }

        if (_hub.ReplicationStatus.IsConnected)
        {
            channel.ReplicationReadyDeadline = null;
            Send(SystemMessage(channel, "system", ok: true, "Replication connection established"));
        }
        else if (now >= deadline)
        {
            channel.ReplicationReadyDeadline = null;
            CloseChannel(channel, "Replication connection was not established in time");
        }
    }

    private static bool IsExpired(RealtimeChannel channel, DateTimeOffset now, TimeSpan grace) =>
        channel.Claims.ExpiresAt is { } expiresAt && now - expiresAt > grace;

    /// <summary>
    /// One client message, under the lock. A message for a topic whose authorization is being evaluated waits
    /// (in order) until it is; <paramref name="fromQueue"/> marks such a message being processed afterwards.
    /// </summary>
    private void Handle(WebSocketOpcode opcode, ReadOnlySpan<byte> payload, bool fromQueue)
    {
        try
        {
            if (opcode == WebSocketOpcode.Text)
            {
                var message = PhoenixSerializer.Parse(payload, Version);
                if (!fromQueue && IsOverRate(message, payload.Length))
                {
                    return;
                }

                if (!fromQueue && _gates is { Count: > 0 } && !message.Topic.ValueEquals("phoenix"u8) && TryDefer(message.Topic.GetString()!, opcode, payload))
                {
                    return;
                }

                Dispatch(message, payload);
            }
            else
            {
                // vsn 1.0.0 has no binary serializer: that throws BinaryNotSupported and is dropped below.
                var push = PhoenixBinary.ParseUserBroadcastPush(payload, Version);
                if (!fromQueue && !_eventRate.TryTake(_hub.Time))
                {
                    _hub.Metrics.EventsRateLimited.Increment(); // binary pushes expect no reply
                    return;
                }

                if (!fromQueue && !_byteRate.TryTake(_hub.Time, payload.Length))
                {
                    var topic = Utf8.IsValid(push.Topic) ? Encoding.UTF8.GetString(push.Topic) : null;
                    if (topic is not null && !push.Ref.IsEmpty && _channels.TryGetValue(topic, out var sender) && sender.BroadcastAck)
                    {
                        // Binary pushes get a reply only with ack (OnBinaryBroadcast); the refusal follows the same rule.
                        Send(PhoenixFrames.Reply(Version, sender.JoinRef, Encoding.UTF8.GetString(push.Ref), sender.Topic, PhoenixReplyStatus.Error, s_tooManyBytesReason));
                    }

                    ShedForBytes(topic);
                    return;
                }

                if (!fromQueue && _gates is { Count: > 0 } && Utf8.IsValid(push.Topic) && TryDefer(Encoding.UTF8.GetString(push.Topic), opcode, payload))
                {
                    return;
                }

                OnBinaryBroadcast(push, payload);
            }
        }
        catch (ProtocolException ex) when (ex.Reason is PhoenixError error)
        {
            // Upstream logs and drops malformed frames and keeps the socket (docs/protocol/realtime.md §Text frames).
            Log.PhoenixFrameDropped(_hub.Logger, error.ToString(), ex.Message);
        }
    }

    private void Dispatch(in PhoenixMessage message, ReadOnlySpan<byte> raw)
    {
        if (message.Topic.ValueEquals("phoenix"u8))
        {
            if (message.Event.ValueEquals("heartbeat"u8))
            {
                OnHeartbeat(hasRef: !message.Ref.IsNull);
                Send(PhoenixFrames.Reply(Version, message, PhoenixReplyStatus.Ok, PhoenixFrames.EmptyObject));
            }

            return;
        }

        var topic = SharedStrings.Get(message.Topic)!;
        if (message.Event.ValueEquals("phx_join"u8))
        {
            Join(message, topic, raw);
            return;
        }

        if (!_channels.TryGetValue(topic, out var channel))
        {
            if (!message.Event.ValueEquals("access_token"u8) && !message.Ref.IsNull)
            {
                Send(PhoenixFrames.Reply(Version, message, PhoenixReplyStatus.Error, """{"reason":"unmatched topic"}"""u8));
            }

            return;
        }

        if (!message.JoinRef.IsNull && !message.JoinRef.ValueEquals(channel.JoinRefUtf8))
        {
            return; // a frame for a previous join of this topic (Phoenix ignores stale join refs)
        }

        if (message.Event.ValueEquals("phx_leave"u8))
        {
            Send(PhoenixFrames.Reply(Version, message, PhoenixReplyStatus.Ok, PhoenixFrames.EmptyObject));
            Send(PhoenixFrames.Message(Version, channel.JoinRef, channel.JoinRef, topic, "phx_close", PhoenixFrames.EmptyObject));
            Leave(channel);
        }
        else if (message.Event.ValueEquals("broadcast"u8))
        {
            OnTextBroadcast(message, channel, raw);
        }
        else if (message.Event.ValueEquals("presence"u8))
        {
            OnPresence(message, channel, raw);
        }
        else if (message.Event.ValueEquals("access_token"u8))
        {
            OnAccessToken(message, channel);
        }
    }

    /// <summary>Server-initiated close: a <c>system</c> error, then <c>phx_close</c> (the client will not rejoin).</summary>
    private void CloseChannel(RealtimeChannel channel, string reason)
    {
        Send(SystemMessage(channel, "system", ok: false, reason));
        Send(PhoenixFrames.Message(Version, channel.JoinRef, channel.JoinRef, channel.Topic, "phx_close", PhoenixFrames.EmptyObject));
        Log.ChannelClosedByServer(_hub.Logger, channel.Topic, reason);
        Leave(channel);
    }

    private void Leave(RealtimeChannel channel)
    {
        if (_channels.TryGetValue(channel.Topic, out var current) && ReferenceEquals(current, channel))
        {
            _channels.Remove(channel.Topic);
        }

        channel.MarkClosed();
        if (channel is { ResumeKey: { } key, Twin: { } twin })
        {
            _hub.Resumes.RemoveLive(key, twin);
        }

        _hub.Topics.Remove(channel);
        _hub.Subscriptions.Remove(channel, channel.Bindings);
        if (_hub.Presence.Untrack(channel) is { } diff)
        {
            _hub.DeliverPresenceDiff(channel.Key, diff);
        }
    }

    private static byte[] SystemMessage(RealtimeChannel channel, string extension, bool ok, string message) => SystemMessages.For(channel, extension, ok, message);

    private void Send(byte[] frame) => Connection.Outbound.TryEnqueue(new OutboundFrame(frame));

    /// <summary>Error replies wait (upstream: 5 s) so a client stuck in a rejoin loop cannot hammer the server.</summary>
    private void SendDelayed(byte[] frame) => _ = SendLaterAsync(frame);

    private async Task SendLaterAsync(byte[] frame)
    {
        await Task.Delay(_hub.Options.JoinErrorDelay, _hub.Time);
        Send(frame);
    }
}
