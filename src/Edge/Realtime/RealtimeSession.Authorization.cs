using MadBase.Edge.Auth;
using MadBase.Edge.Realtime.Authorization;
using MadBase.Protocol.Phoenix;
using MadBase.Protocol.WebSockets;
using Npgsql;

namespace MadBase.Edge.Realtime;

/// <summary>
/// Private channels (docs/protocol/realtime.md §Private channels). Policy checks need the database, but the socket's
/// messages are handled one at a time under a lock that must never wait on I/O. So a message that needs a check (a
/// private join, the first broadcast or track, an access_token) starts it and parks the topic: that message and every
/// later one for the topic wait, in order, until the result is applied; then they are handled again as if they had just
/// arrived. Other topics and heartbeats are not held up.
/// </summary>
internal sealed partial class RealtimeSession
{
    /// <summary>Upstream's reason when a private channel's policies cannot be read.</summary>
    private const string UnableToConnect = "Realtime was unable to connect to the project database";

    /// <summary>Messages one topic may hold while a check runs; more are dropped (a client flooding a slow database).</summary>
    private const int MaxWaitingPerTopic = 1024;

    // Made on first use: most sockets never join a private channel, and every idle socket counts
    // (docs/realtime-server.md §Memory of idle sockets).
    private Dictionary<string, TopicGate>? _gates;
    private Dictionary<string, PreparedJoin>? _preparedJoins;
    private bool _closed;

    /// <summary>Queues a message behind a running check of its topic; false when the topic is not held.</summary>
    private bool TryDefer(string topic, WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        if (_gates is null || !_gates.TryGetValue(topic, out var gate))
        {
            return false;
        }

        if (gate.Waiting.Count < MaxWaitingPerTopic)
        {
            gate.Waiting.AddLast(new Deferred(opcode, payload.ToArray()));
        }
        else
        {
            Log.PhoenixFrameDropped(_hub.Logger, "AuthorizationBacklog", $"{topic}: more than {MaxWaitingPerTopic} messages wait for a policy check");
        }

        return true;
    }

    /// <summary>
    /// Runs <paramref name="check"/> off the read loop and holds <paramref name="topic"/> meanwhile. The message
    /// that needed it (<paramref name="retry"/>, empty for none) goes first in line, so once the returned action
    /// has stored the result under the lock it is handled again and finds it. A broadcast replay read uses the same
    /// hold (<paramref name="policyCheck"/> false: not counted as a policy check).
    /// </summary>
    private void Authorize(string topic, WebSocketOpcode opcode, ReadOnlySpan<byte> retry, Func<Task<Action>> check, bool policyCheck = true)
    {
        _gates ??= new(StringComparer.Ordinal);
        if (!_gates.TryGetValue(topic, out var gate))
        {
            gate = new TopicGate();
            _gates[topic] = gate;
        }

        gate.Busy = true;
        if (!retry.IsEmpty)
        {
            gate.Waiting.AddFirst(new Deferred(opcode, retry.ToArray()));
        }

        if (policyCheck)
        {
            _hub.Metrics.PolicyChecks.Increment();
        }

        _ = CompleteAsync(topic, gate, check);
    }

    private async Task CompleteAsync(string topic, TopicGate gate, Func<Task<Action>> check)
    {
        // Off the caller's stack: the read loop holds the lock, and a check must never complete inside it.
        await Task.Yield();

        // Checks report database trouble in their result; this only guards against a bug looping on one message.
        Action apply;
        var dropFirst = false;
        try
        {
            apply = await check();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.ChannelAuthorizationUnavailable(_hub.Logger, topic, ex.Message);
            apply = static () => { };
            dropFirst = true;
        }

        lock (Gate)
        {
            if (_closed)
            {
                return;
            }

            apply();
            gate.Busy = false;
            if (dropFirst && gate.Waiting.First is not null)
            {
                gate.Waiting.RemoveFirst();
            }

            try
            {
                while (!gate.Busy && gate.Waiting.First is { } next)
                {
                    gate.Waiting.RemoveFirst();
                    Handle(next.Value.Opcode, next.Value.Payload, fromQueue: true);
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // What the read loop does when a handler throws: nothing is awaiting this task to observe it.
                Log.WebSocketHandlerFailed(_hub.Logger, ex);
                Connection.Close(WebSocketCloseStatus.InternalServerError, "internal error");
            }
            finally
            {
                if (!gate.Busy && _gates is not null && _gates.TryGetValue(topic, out var current) && ReferenceEquals(current, gate))
                {
                    _gates.Remove(topic);
                }
            }
        }
    }

    /// <summary>
    /// First pass of a private join by a role that is not service_role: starts the read check and returns true
    /// (the join is handled again when it is done). False when there is nothing to check or the result is ready.
    /// </summary>
    private bool TryStartJoinCheck(in PhoenixMessage message, string topic, ReadOnlySpan<byte> raw)
    {
        if (topic.Length == 0 || topic == RealtimeChannel.TopicPrefix || !JoinConfig.TryParse(message.Payload, out var config) || !config.Private)
        {
            return false;
        }

        if (!TryAuthorize(config.AccessToken, out var claims, out var token, out _) || claims.IsServiceRole)
        {
            return false;
        }

        if (_preparedJoins is not null && _preparedJoins.TryGetValue(topic, out var prepared) && prepared.Token == token && prepared.Presence == config.PresenceEnabled)
        {
            return false;
        }

        // Checks in flight count as channels (a rejoin replaces its own channel), so a socket cannot start more
        // checks than it may hold channels.
        var held = (_gates?.Count ?? 0) + _channels.Count - (_channels.ContainsKey(topic) ? 1 : 0);
        if (!(_gates?.ContainsKey(topic) ?? false) && held >= _hub.Options.MaxChannelsPerConnection)
        {
            RefuseJoin(message, $"ChannelRateLimitReached: Too many channels (limit {_hub.Options.MaxChannelsPerConnection})");
            return true;
        }

        var name = RealtimeChannel.NameOf(topic);
        var presence = config.PresenceEnabled;
        Authorize(topic, WebSocketOpcode.Text, raw, async () =>
        {
            var policies = await ReadPoliciesAsync(claims, name, presence);
            return () => (_preparedJoins ??= new(StringComparer.Ordinal))[topic] = new PreparedJoin(token, presence, policies);
        });
        return true;
    }

    /// <summary>The policies the first pass found for this join (null: the database could not be asked).</summary>
    private ChannelPolicies? TakePreparedJoin(string topic)
    {
        PreparedJoin? prepared = null;
        _preparedJoins?.Remove(topic, out prepared);
        return prepared?.Policies;
    }

    /// <summary>
    /// Broadcast write on a private channel: evaluated at the first send, then cached on the channel until the next
    /// token. Without it the message is dropped silently, with no ack even when one was asked for (as upstream).
    /// </summary>
    private bool MayBroadcast(RealtimeChannel sender, WebSocketOpcode opcode, ReadOnlySpan<byte> raw)
    {
        switch (sender.Policies.BroadcastWrite)
        {
            case null:
                StartWriteCheck(sender, opcode, raw, withPresenceRead: false);
                return false;
            case false:
                _hub.Metrics.UnauthorizedDrops.Increment();
                return false;
            default:
                return true;
        }
    }

    /// <summary>
    /// Writes (both extensions at once, as upstream), and presence read when presence was off at join and a track
    /// turns it on now.
    /// </summary>
    private void StartWriteCheck(RealtimeChannel channel, WebSocketOpcode opcode, ReadOnlySpan<byte> raw, bool withPresenceRead)
    {
        var claims = channel.Claims;
        var name = channel.Name;
        Authorize(channel.Topic, opcode, raw, async () =>
        {
            var read = withPresenceRead ? await ReadPoliciesAsync(claims, name, presence: true) : null;
            var writes = await WritePoliciesAsync(claims, name);
            return () =>
            {
                if (writes is not { } granted || (withPresenceRead && read is null))
                {
                    // Not a denial to keep until the next token (every send, or every presence diff, dropped untold
                    // for up to its lifetime): the channel cannot be served now, so it is closed and its client told,
                    // as a refresh's read is.
                    if (!channel.IsClosed)
                    {
                        CloseChannel(channel, UnableToConnect);
                    }

                    return;
                }

                var (broadcast, presence) = granted;
                var policies = channel.Policies;
                if (withPresenceRead)
                {
                    policies = policies with { PresenceRead = read?.PresenceRead == true };
                }

                channel.Policies = policies.WithWrites(broadcast, presence);
                Log.ChannelPoliciesEvaluated(_hub.Logger, channel.Topic, claims.Role, channel.Policies.ToString());
            };
        });
    }

    /// <summary>
    /// A new token on a private channel: reads are evaluated again with it (writes again at the next send). A read
    /// the old token had and the new one lacks closes the channel, as upstream
    /// (docs/protocol/realtime.md §Access token refresh).
    /// </summary>
    private void StartRefreshCheck(RealtimeChannel channel, JwtClaims claims, string token)
    {
        var name = channel.Name;
        var presence = channel.PresenceEnabled;
        Authorize(channel.Topic, WebSocketOpcode.Text, [], async () =>
        {
            var next = await ReadPoliciesAsync(claims, name, presence);
            return () =>
            {
                if (channel.IsClosed)
                {
                    return;
                }

                if (next is null)
                {
                    CloseChannel(channel, UnableToConnect);
                }
                else if (channel.Policies.LosesReadIn(next))
                {
                    CloseChannel(channel, "You no longer have permission to read from this Channel topic: " + name);
                }
                else
                {
                    channel.Policies = next;
                    Reauthorized(channel, claims, token);
                }
            };
        });
    }

    private async Task<ChannelPolicies?> ReadPoliciesAsync(JwtClaims claims, string name, bool presence)
    {
        try
        {
            var policies = await _hub.Authorizer.ReadAsync(claims, name, presence, CancellationToken.None);
            Log.ChannelPoliciesEvaluated(_hub.Logger, name, claims.Role, policies.ToString());
            return policies;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            Log.ChannelAuthorizationUnavailable(_hub.Logger, name, ex.Message);
            return null;
        }
    }

    /// <summary>Write grants; null when the database cannot be asked.</summary>
    private async Task<(bool Broadcast, bool Presence)?> WritePoliciesAsync(JwtClaims claims, string name)
    {
        try
        {
            return await _hub.Authorizer.WriteAsync(claims, name, CancellationToken.None);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            Log.ChannelAuthorizationUnavailable(_hub.Logger, name, ex.Message);
            return null;
        }
    }

    private sealed class TopicGate
    {
        public bool Busy { get; set; }

        public LinkedList<Deferred> Waiting { get; } = new();
    }

    private sealed record Deferred(WebSocketOpcode Opcode, byte[] Payload);

    private sealed record PreparedJoin(string Token, bool Presence, ChannelPolicies? Policies);
}
