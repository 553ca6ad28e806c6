using MadBase.Edge.Auth;
using MadBase.Edge.Realtime.Authorization;
using MadBase.Edge.Realtime.Collections;
using MadBase.Edge.Realtime.Delivery;
using MadBase.Edge.Realtime.PostgresChanges;
using MadBase.Edge.Realtime.Replay;
using MadBase.Edge.Realtime.Resume;
using MadBase.Protocol.Phoenix;

namespace MadBase.Edge.Realtime;

internal sealed partial class RealtimeSession
{
    /// <summary>
    /// <c>phx_join</c> (docs/protocol/realtime.md §Joining a channel, §Binding ids in the join reply,
    /// §Live on SUBSCRIBED): authorize, register every subscription, and only then reply ok, so <c>SUBSCRIBED</c> on
    /// the client means changes are already being routed to it.
    /// </summary>
    private void Join(in PhoenixMessage message, string topic, ReadOnlySpan<byte> raw)
    {
        if (TryStartJoinCheck(message, topic, raw))
        {
            return; // a private join: handled again once its policies are known
        }

        if (topic.Length == 0 || topic == RealtimeChannel.TopicPrefix)
        {
            RefuseJoin(message, "TopicNameRequired: You must provide a topic name");
            return;
        }

        if (_channels.TryGetValue(topic, out var previous))
        {
            // Phoenix closes the old channel of the same topic and joins again. realtime-js does this to rejoin a channel
            // whose join timed out or failed, without phx_leave: the old channel may hold a resume it took, so where it
            // stood is remembered for this join (or a later one) to take, as if its socket had ended.
            Send(PhoenixFrames.Message(Version, previous.JoinRef, previous.JoinRef, topic, "phx_close", PhoenixFrames.EmptyObject));
            RememberForResume(previous);
            Leave(previous);
        }

        if (_channels.Count >= _hub.Options.MaxChannelsPerConnection)
        {
            RefuseJoin(message, $"ChannelRateLimitReached: Too many channels (limit {_hub.Options.MaxChannelsPerConnection})");
            return;
        }

        if (!JoinConfig.TryParse(message.Payload, out var config))
        {
            RefuseJoin(message, "UnableToJoin: the join payload must be a JSON object");
            return;
        }

        if (!TryAuthorize(config.AccessToken, out var claims, out var token, out var authError))
        {
            RefuseJoin(message, authError);
            return;
        }

        var policies = ChannelPolicies.All;
        if (config.Private && !claims.IsServiceRole)
        {
            // The first pass evaluated realtime.messages SELECT policies as this token
            // (docs/protocol/realtime.md §Private channels).
            var name = RealtimeChannel.NameOf(topic);
            if (TakePreparedJoin(topic) is not { } prepared)
            {
                RefuseJoin(message, "UnableToConnectToProject: Realtime was unable to connect to the project database");
                return;
            }

            if (!prepared.CanJoin)
            {
                RefuseJoin(message, $"Unauthorized: You do not have permissions to read from this Channel topic: {name}");
                return;
            }

            policies = prepared;
        }

        if (ReplayRefusal(config, policies, topic) is { } refusal)
        {
            RefuseJoin(message, refusal);
            return;
        }

        var joinRef = SharedStrings.Get(message.JoinRef) ?? SharedStrings.Get(message.Ref) ?? "";
        var channel = new RealtimeChannel(topic, joinRef, Version, Connection.Outbound, config, claims, token, policies);
        var bindings = new List<PostgresBinding>(config.PostgresChanges.Count);
        var replies = new List<byte[]>(config.PostgresChanges.Count);
        var errors = new List<string>();
        foreach (var element in config.PostgresChanges)
        {
            var binding = PostgresBinding.Parse(element, out var reply, out var error);
            replies.Add(reply);
            if (binding is not null)
            {
                bindings.Add(binding);
            }
            else if (error is not null)
            {
                errors.Add(error);
            }
        }

        channel.Bindings = [.. bindings];
        if (bindings.Count > 0)
        {
            channel.Cursor = _cursor ??= new Delivery.LogCursor(_hub.DeliveryLog, Connection.Outbound, this);
            channel.ResumeKey = _hub.Resumes.Enabled ? ResumeKey.Of(claims, topic, config.PostgresChanges) : null;
        }

        _channels.Set(topic, channel);
        _hub.Topics.Add(channel);
        if (Subscribe(channel) is { } resumeError)
        {
            errors.Add(resumeError);
        }

        var joined = new JoinedChannel(channel, PhoenixFrames.Reply(Version, message, PhoenixReplyStatus.Ok, JoinResponse(config, replies)), errors, bindings.Count);
        if (channel.Replay is not null && config.Replay is { } replay)
        {
            StartReplay(message, joined, replay); // replies once the replay is read
            return;
        }

        CompleteJoin(joined, replayed: null);
    }

    /// <summary>
    /// The join's replies, then (with a replay) the replayed broadcasts, and only then the channel's postgres_changes:
    /// <c>SUBSCRIBED</c> on the client means changes are already being routed to it.
    /// </summary>
    private void CompleteJoin(JoinedChannel joined, List<ReplayedMessage>? replayed)
    {
        var channel = joined.Channel;
        Send(joined.Reply);
        if (joined.Bindings > 0)
        {
            Send(SystemMessage(channel, "postgres_changes", ok: true, "Subscribed to PostgreSQL"));
        }

        foreach (var error in joined.Errors)
        {
            Send(SystemMessage(channel, "postgres_changes", ok: false, error));
        }

        if (channel.ReceivesPresence)
        {
            Send(PhoenixFrames.Message(Version, channel.JoinRef, null, channel.Topic, "presence_state", _hub.Presence.State(channel.Key)));
        }

        if (channel.WantsReplicationReady)
        {
            // At once when the stream is live (the usual case); otherwise the sweep tells it later, or gives up.
            channel.ReplicationReadyDeadline = _hub.Time.GetUtcNow() + ReplicationReadyTimeout;
            NotifyReplicationReady(channel, _hub.Time.GetUtcNow());
        }

        if (replayed is not null)
        {
            OpenReplay(channel, replayed);
        }

        channel.MarkLive(); // after the replies: its first change may now be written
        CheckFilterColumns(channel);
        _hub.Metrics.Joins.Increment();
        Log.ChannelJoined(_hub.Logger, channel.Topic, channel.Claims.Role, joined.Bindings);
    }

    /// <summary>
    /// Registers the channel's postgres_changes: a rejoin within the resume window (same identity, topic and bindings
    /// as a channel whose socket ended without leaving, or whose client went silent) goes to the router, which first
    /// sends it what it missed; any other join is registered here and receives what is routed from now on.
    /// </summary>
    /// <returns>An error for the client: a rejoin that came after its window may have missed changes.</returns>
    private string? Subscribe(RealtimeChannel channel)
    {
        if (channel.ResumeKey is not { } key)
        {
            SubscribeFresh(channel);
            return null;
        }

        var from = ChangePosition.None; // with the app's own since: the whole history, filtered by commit time
        var since = channel.Bindings.Min(b => b.Since); // an app's own cursor comes first (null: none)
        var outcome = since is not null ? ResumeOutcome.Resume : _hub.Resumes.Find(key, out from);
        channel.Twin = new ChannelTwin(this, channel);
        _hub.Resumes.AddLive(key, channel.Twin);
        if (outcome != ResumeOutcome.Resume)
        {
            SubscribeFresh(channel);
            return outcome == ResumeOutcome.Expired ? ResumeGapMessage : null;
        }

        channel.Start = from;
        channel.ReplayEnd = long.MaxValue; // nothing is proven for it until its replay is (the router sets the end)
        channel.DeliverAfter = from;
        _hub.ResumeRequests.Writer.TryWrite(new ResumeRequest(channel, from, this, since));
        return null;
    }

    private void SubscribeFresh(RealtimeChannel channel)
    {
        channel.Start = _hub.DeliveryLog.RoutedThrough; // read before registering: resuming from it may repeat, never skip
        channel.DeliverAfter = _hub.CatchUpThrough;
        _hub.Subscriptions.Add(channel, channel.Bindings);
    }

    private void RefuseJoin(in PhoenixMessage message, string reason) =>
        RefuseJoin(message.Topic.ToString(), reason, RefusalReply(message, reason));

    /// <summary>Counts, logs and sends (delayed) a join's error reply built earlier by <see cref="RefusalReply"/>.</summary>
    private void RefuseJoin(string topic, string reason, byte[] reply)
    {
        _hub.Metrics.JoinsRefused.Increment();
        Log.JoinRefused(_hub.Logger, topic, reason);
        SendDelayed(reply);
    }

    private byte[] RefusalReply(in PhoenixMessage message, string reason)
    {
        var response = PhoenixFrames.Json(reason, static (json, r) =>
        {
            json.WriteStartObject();
            json.WriteString("reason", r);
            json.WriteEndObject();
        });
        return PhoenixFrames.Reply(Version, message, PhoenixReplyStatus.Error, response);
    }

    /// <summary>A channel registered by its join, with the replies still to send.</summary>
    private sealed record JoinedChannel(RealtimeChannel Channel, byte[] Reply, List<string> Errors, int Bindings);

    /// <summary>
    /// The join's own token if it sent one, else the socket's (supabase-js often joins before its session token
    /// resolves, docs/protocol/realtime.md §Which token a channel acts as). Opaque <c>sb_…</c> keys are not JWTs and
    /// keep the socket's identity.
    /// </summary>
    private bool TryAuthorize(string? joinToken, out JwtClaims claims, out string token, out string error)
    {
        if (string.IsNullOrEmpty(joinToken) || joinToken.StartsWith("sb_", StringComparison.Ordinal) || joinToken == _connectToken)
        {
            claims = _connectClaims;
            token = _connectToken;
            error = "";
            return true;
        }

        token = joinToken;
        if (_hub.Jwt.TryValidate(joinToken, out claims, out var problem))
        {
            error = "";
            return true;
        }

        error = "InvalidJWTToken: " + problem;
        return false;
    }

    private static byte[] JoinResponse(JoinConfig config, List<byte[]> replies)
    {
        if (config.PostgresChanges.Count == 0)
        {
            return """{"postgres_changes":[]}"""u8.ToArray();
        }

        var head = """{"postgres_changes":["""u8;
        var response = new byte[head.Length + replies.Sum(r => r.Length + 1) + 1];
        head.CopyTo(response);
        var at = head.Length;
        for (var i = 0; i < replies.Count; i++)
        {
            if (i > 0)
            {
                response[at++] = (byte)',';
            }

            replies[i].CopyTo(response, at);
            at += replies[i].Length;
        }

        "]}"u8.CopyTo(response.AsSpan(at));
        return response;
    }
}
