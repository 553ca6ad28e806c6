using MadBase.Edge.Realtime.Delivery;
using MadBase.Edge.Realtime.Resume;

namespace MadBase.Edge.Realtime;

/// <summary>
/// Resume (docs/ARCHITECTURE.md, "Resume"): what this socket's client is known to have received, so that when the
/// socket ends without <c>phx_leave</c> its postgres_changes channels are remembered at a position that loses nothing.
/// <para>
/// Two proofs, both from the client itself, because the stream is ordered end to end (through any proxy that forwards
/// WebSocket frames): a WebSocket Ping queued after the changes this socket had taken is answered by the client's
/// WebSocket stack only after it read them (RFC 6455 §5.5.2; browsers and Node answer by themselves), so its Pong
/// proves them; and realtime-js sends its next heartbeat only after it read the reply to the previous one (heartbeats
/// without a ref prove nothing: <see cref="OnHeartbeat"/>). TCP
/// acknowledgements prove less (a proxy acknowledges what it may never forward). The price is repeats: after a crash
/// or a cut, what was sent since the last proof may arrive twice, about one ping interval
/// (<see cref="Configuration.RealtimeOptions.ProofPingInterval"/>; two heartbeat intervals with pings off); never fewer than all.
/// </para>
/// </summary>
internal sealed partial class RealtimeSession
{
    internal const string ResumeGapMessage =
        "Changes since this channel's last connection are no longer held by the server: some were missed. Refetch.";

    /// <summary>Everything up to here reached the client (see the class remarks); published whole for <see cref="ChannelTwin"/>.</summary>
    private ProvenMark _proven = ProvenMark.None;

    /// <summary>
    /// The delivery-log sequence the proofs cover: every entry below it was taken before the proof was asked. A resumed
    /// channel's replay is appended to the log with positions older than the live stream's, so the stream position
    /// alone cannot say whether it arrived (<see cref="PositionOf"/>).
    /// </summary>
    private long _provenSequence;
    private long _sequenceByNextHeartbeat;
    private long _sequenceByPong;

    /// <summary>When the client's last heartbeat arrived, and how long before it the previous one did (timestamps).</summary>
    private long _lastHeartbeatAt;
    private long _heartbeatEvery;

    /// <summary>Taken when the last heartbeat reply was queued: proven by the client's next heartbeat.</summary>
    private ChangePosition _provenByNextHeartbeat;

    /// <summary>The outstanding proof ping's number (0: none), what it proves once answered, and when it was queued.</summary>
    private ulong _pingNumber;
    private ChangePosition _provenByPong;
    private long _pingQueuedAt;
    private ulong _pingsSent;

    /// <summary>When the client last answered a proof ping (timestamp, 0: never), and how long that answer took (ticks).</summary>
    private long _lastPongAt;
    private long _lastRoundTrip;

    /// <summary>How recently, and how promptly, a live-looking client must have answered for a rejoin to resume from it (<see cref="AnsweredLately"/>).</summary>
    private static readonly TimeSpan s_lately = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A client heartbeat arrived (under the session lock), just before its reply is queued. It proves the reply to the
    /// previous one was read only when both carry a ref: a client that waits for each reply matches it by ref
    /// (realtime-js, phoenix.js, the Swift, Dart and Rust clients); one that sends <c>ref: null</c> cannot, and
    /// realtime-py 2.0 indeed sends one every 30 s whatever came back.
    /// </summary>
    private void OnHeartbeat(bool hasRef)
    {
        if (hasRef)
        {
            Prove(_provenByNextHeartbeat, _sequenceByNextHeartbeat);
        }

        // The log entries taken before the reply, as Taken the changes: what the next heartbeat will prove.
        _sequenceByNextHeartbeat = hasRef ? _cursor?.Position ?? 0 : 0;
        _provenByNextHeartbeat = hasRef ? _cursor?.Taken() ?? ChangePosition.None : ChangePosition.None;
        var now = _hub.Time.GetTimestamp();
        if (_lastHeartbeatAt != 0)
        {
            Volatile.Write(ref _heartbeatEvery, now - _lastHeartbeatAt);
        }

        Volatile.Write(ref _lastHeartbeatAt, now);
    }

    /// <summary>
    /// Asks the client to prove what it received (the hub's proof timer, every
    /// <see cref="Configuration.RealtimeOptions.ProofPingInterval"/>): a Ping when this socket took changes that are not
    /// proven yet and none is outstanding. The Ping waits for the writer's next send; one still unanswered at the next
    /// tick is pushed out on its own, and one unanswered for ten intervals is replaced (a client that never answers).
    /// </summary>
    public void AskForProof(TimeSpan interval)
    {
        lock (Gate)
        {
            if (_closed || _cursor is not { } cursor)
            {
                return;
            }

            if (_pingNumber != 0 && _hub.Time.GetElapsedTime(_pingQueuedAt) < interval * 10)
            {
                Connection.FlushQueued(); // no-op once it is on the wire
                return;
            }

            var sequence = cursor.Position;
            var taken = cursor.Taken();
            if (taken <= _proven.Position && sequence <= _provenSequence)
            {
                return; // nothing new taken: neither live changes nor a replay's
            }

            Span<byte> payload = stackalloc byte[sizeof(ulong)];
            var number = ++_pingsSent;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(payload, number);
            if (Connection.TryQueuePing(payload))
            {
                // Taken before the Ping is queued, and the writer sends what it took before anything queued after it.
                _pingNumber = number;
                _provenByPong = taken;
                _sequenceByPong = sequence;
                _pingQueuedAt = _hub.Time.GetTimestamp();
            }
        }
    }

    public void OnPong(ReadOnlySpan<byte> payload)
    {
        if (payload.Length != sizeof(ulong))
        {
            return; // not ours: an unsolicited Pong proves nothing
        }

        var number = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(payload);
        lock (Gate)
        {
            if (number != 0 && number == _pingNumber)
            {
                _pingNumber = 0;
                Prove(_provenByPong, _sequenceByPong);
                var now = _hub.Time.GetTimestamp();
                Volatile.Write(ref _lastRoundTrip, _hub.Time.GetElapsedTime(_pingQueuedAt, now).Ticks);
                Volatile.Write(ref _lastPongAt, now);
            }
        }
    }

    /// <summary>Everything up to <paramref name="position"/>, and every log entry below <paramref name="sequence"/>, reached the client (under the session lock).</summary>
    private void Prove(ChangePosition position, long sequence)
    {
        if (sequence > _provenSequence)
        {
            Volatile.Write(ref _provenSequence, sequence);
        }

        if (position > _proven.Position)
        {
            Volatile.Write(ref _proven, new ProvenMark(position));
        }
    }

    /// <summary>The socket ended with <paramref name="channel"/> joined (under the session lock).</summary>
    private void RememberForResume(RealtimeChannel channel)
    {
        // Also when the log left this socket behind: the "changes were missed" message may never have reached a client
        // whose path was cut, and a rejoin from its proven position gets the missed changes if the history has them.
        if (channel.ResumeKey is { } key && !channel.IsClosed)
        {
            _hub.Resumes.Remember(key, _hub.History.Normalize(PositionOf(channel, _proven.Position)));
        }
    }

    /// <summary>This socket's live postgres_changes channels, for the resume keeper's snapshot.</summary>
    public void CollectResumePoints(List<ResumePoint> into)
    {
        lock (Gate)
        {
            if (_closed || _cursor is not { } cursor)
            {
                return;
            }

            var written = cursor.Written();
            foreach (var channel in _channels.ToArray())
            {
                if (channel.ResumeKey is { } key && !channel.IsClosed)
                {
                    into.Add(new ResumePoint(
                        key,
                        _hub.History.Normalize(PositionOf(channel, written)),
                        _hub.History.Normalize(PositionOf(channel, _proven.Position))));
                }
            }
        }
    }

    /// <summary>The router could not send a resumed channel everything it missed: it is told, as upstream tells errors.</summary>
    public void OnResumeGap(RealtimeChannel channel)
    {
        lock (Gate)
        {
            if (!channel.IsClosed)
            {
                Send(SystemMessage(channel, "postgres_changes", ok: false, ResumeGapMessage));
            }
        }
    }

    /// <summary>
    /// Whether a rejoin with this channel's key may be its client coming back, and if so from where (what it proved).
    /// Gone: its socket is closing, or silent — nothing came from it for longer than its heartbeat interval (as
    /// measured between its last two heartbeats; 5 s before it has sent two). Or it may be gone: <see cref="AnsweredLately"/>.
    /// </summary>
    /// <remarks>
    /// Closing counts whatever the last frame's age: realtime-js, on a heartbeat timeout, sends its Close and
    /// reconnects after at most about 3 s without waiting for ours, while our end of the handshake may wait behind a
    /// backlog its full socket no longer takes. Its Close was its last frame, so it looks active, and without this its
    /// rejoin would start fresh and silently skip what it had not proven (seen with 30 clients × 100,000 rows in
    /// cluster mode, where the clients' event loops fell behind their heartbeats).
    /// </remarks>
    private ChangePosition? ProvenIfMaybeGone(RealtimeChannel channel)
    {
        var every = Volatile.Read(ref _heartbeatEvery);
        var patience = every > 0 ? _hub.Time.GetElapsedTime(0, every) + TimeSpan.FromMilliseconds(500) : TimeSpan.FromSeconds(5);
        return Connection.IsClosing || Connection.IdleFor > patience || AnsweredLately()
            ? PositionOf(channel, Volatile.Read(ref _proven).Position)
            : null;
    }

    /// <summary>
    /// The client answered a proof ping within the last <see cref="s_lately"/>, in less than that, and its socket took
    /// changes after its last proof (as <see cref="AskForProof"/> sees it). Such a socket looks alive to the server for
    /// up to a heartbeat interval after its client is gone — a phone that changed networks leaves it open, unanswered, and is back on a
    /// new connection within a few seconds — and starting that rejoin fresh would skip, untold, what the old socket
    /// took after its proof. Resuming from the proof instead costs a genuinely second client of the key (anonymous
    /// clients of a topic share it) the changes committed since the other's last proof, repeated before its first
    /// live ones: normally half a second's, at most about twice <see cref="s_lately"/>, since the prompt answer bounds
    /// how old the proof is. A client answering slowly (a backlog in its buffers) is not used: its proof may be old.
    /// </summary>
    private bool AnsweredLately()
    {
        var at = Volatile.Read(ref _lastPongAt);
        return at != 0 && _hub.Time.GetElapsedTime(at) < s_lately && Volatile.Read(ref _lastRoundTrip) < s_lately.Ticks
            && _cursor is { } cursor
            && (cursor.Taken() > Volatile.Read(ref _proven).Position || cursor.Position > Volatile.Read(ref _provenSequence));
    }

    /// <summary>
    /// Where <paramref name="channel"/> stands given a socket position (proven or written): that position once the
    /// proofs cover the channel's replay, its own start until then. Invariant: a channel's remembered, saved or
    /// ceiling position never passes what its own deliveries were proven through (a rejoin's replay is sent after the
    /// live stream's head, so a proof of the head taken before the replay proves none of it).
    /// </summary>
    private ChangePosition PositionOf(RealtimeChannel channel, ChangePosition socketPosition) =>
        Volatile.Read(ref _provenSequence) >= channel.ReplayEnd ? ChangePosition.Max(channel.Start, socketPosition) : channel.Start;

    private sealed record ProvenMark(ChangePosition Position)
    {
        public static readonly ProvenMark None = new(ChangePosition.None);
    }

    /// <summary>Reads a live channel's position for a rejoin without taking the session's lock (the joiner holds its own).</summary>
    private sealed class ChannelTwin(RealtimeSession session, RealtimeChannel channel) : IResumeTwin
    {
        public ChangePosition? ProvenIfMaybeGone(DateTimeOffset now) => channel.IsClosed ? null : session.ProvenIfMaybeGone(channel);
    }
}
