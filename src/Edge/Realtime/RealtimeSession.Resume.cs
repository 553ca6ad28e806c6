using MadBase.Edge.Realtime.Delivery;
using MadBase.Edge.Realtime.Resume;

namespace MadBase.Edge.Realtime;

/// <summary>
/// Resume (docs/ARCHITECTURE.md, "Resume"): what this socket's client is known to have received, so that when the
/// socket ends without <c>phx_leave</c> its postgres_changes channels are remembered at a position that loses nothing.
/// <para>
/// The proof is realtime-js's heartbeat rule: a client sends its next heartbeat only after it has read the reply to the
/// previous one (otherwise it declares a timeout and reconnects). The reply is queued after every change this socket
/// had taken at that moment, and the stream is ordered end to end, through any proxy; so the next heartbeat proves the
/// client read them. TCP acknowledgements prove less (a proxy acknowledges what it may never forward). The price is
/// repeats: after a cut, the changes of up to two heartbeat intervals may arrive twice; never fewer than all.
/// </para>
/// </summary>
internal sealed partial class RealtimeSession
{
    internal const string ResumeGapMessage =
        "Changes since this channel's last connection are no longer held by the server: some were missed. Refetch.";

    /// <summary>Everything up to here reached the client (see the class remarks); published whole for <see cref="ChannelTwin"/>.</summary>
    private ProvenMark _proven = ProvenMark.None;

    /// <summary>When the client's last heartbeat arrived, and how long before it the previous one did (timestamps).</summary>
    private long _lastHeartbeatAt;
    private long _heartbeatEvery;

    /// <summary>Taken when the last heartbeat reply was queued: proven by the client's next heartbeat.</summary>
    private ChangePosition _provenByNextHeartbeat;

    /// <summary>A client heartbeat arrived (under the session lock), just before its reply is queued.</summary>
    private void OnHeartbeat()
    {
        var proven = ChangePosition.Max(_proven.Position, _provenByNextHeartbeat);
        if (proven != _proven.Position)
        {
            Volatile.Write(ref _proven, new ProvenMark(proven));
        }

        _provenByNextHeartbeat = _cursor?.Taken() ?? ChangePosition.None;
        var now = _hub.Time.GetTimestamp();
        if (_lastHeartbeatAt != 0)
        {
            Volatile.Write(ref _heartbeatEvery, now - _lastHeartbeatAt);
        }

        Volatile.Write(ref _lastHeartbeatAt, now);
    }

    /// <summary>The socket ended with <paramref name="channel"/> joined (under the session lock).</summary>
    private void RememberForResume(RealtimeChannel channel)
    {
        // Also when the log left this socket behind: the "changes were missed" message may never have reached a client
        // whose path was cut, and a rejoin from its proven position gets the missed changes if the history has them.
        if (channel.ResumeKey is { } key && !channel.IsClosed)
        {
            _hub.Resumes.Remember(key, _hub.History.Normalize(ChangePosition.Max(channel.Start, _proven.Position)));
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
                        _hub.History.Normalize(ChangePosition.Max(channel.Start, written)),
                        _hub.History.Normalize(ChangePosition.Max(channel.Start, _proven.Position))));
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
    /// A channel's client is silent when nothing came from it for longer than its heartbeat interval (as measured
    /// between its last two heartbeats; 5 s before it has sent two): a live client never is.
    /// </summary>
    private ChangePosition? ProvenIfSilent(RealtimeChannel channel)
    {
        var every = Volatile.Read(ref _heartbeatEvery);
        var patience = every > 0 ? _hub.Time.GetElapsedTime(0, every) + TimeSpan.FromMilliseconds(500) : TimeSpan.FromSeconds(5);
        return Connection.IdleFor > patience ? ChangePosition.Max(channel.Start, Volatile.Read(ref _proven).Position) : null;
    }

    private sealed record ProvenMark(ChangePosition Position)
    {
        public static readonly ProvenMark None = new(ChangePosition.None);
    }

    /// <summary>Reads a live channel's position for a rejoin without taking the session's lock (the joiner holds its own).</summary>
    private sealed class ChannelTwin(RealtimeSession session, RealtimeChannel channel) : IResumeTwin
    {
        public ChangePosition? ProvenIfSilent(DateTimeOffset now) => channel.IsClosed ? null : session.ProvenIfSilent(channel);
    }
}
