using System.Text.Json;
using MadBase.Edge.Auth;
using MadBase.Edge.Realtime.Authorization;
using MadBase.Edge.Realtime.Replay;
using MadBase.Edge.WebSockets;
using MadBase.Protocol.Phoenix;
using MadBase.Protocol.WebSockets;
using Npgsql;

namespace MadBase.Edge.Realtime;

/// <summary>
/// Broadcast replay (docs/protocol/realtime.md §Broadcast replay): a private join with
/// <c>config.broadcast.replay: {since, limit}</c> first receives the topic's stored broadcasts from
/// <c>realtime.messages</c>, each with <c>meta.replayed: true</c>, then live messages.
/// <para>
/// The channel is registered (its live frames held by its <see cref="ReplayGate"/>) before the rows are read, so a
/// message committed while the query runs is not lost: the query sees it, or it arrives live, or both, and then the
/// gate drops the live copy by its id. The topic is held like a policy check meanwhile, and the reply waits for the
/// rows, so a failed read refuses the join as upstream does.
/// </para>
/// </summary>
internal sealed partial class RealtimeSession
{
    private const string ReplayFailedReason = "UnableToReplayMessages: Realtime was unable to replay messages";

    /// <summary>Upstream's refusals of a replay, in its order (read policy, then public channel, then params); null: none.</summary>
    private static string? ReplayRefusal(JoinConfig config, ChannelPolicies policies, string topic)
    {
        if (config.Replay is not { } replay)
        {
            return null;
        }

        if (policies.BroadcastRead != true)
        {
            return "Unauthorized: You do not have permissions to read from this Channel topic: " + RealtimeChannel.NameOf(topic);
        }

        if (!config.Private)
        {
            return "UnableToReplayMessages: Replay is not allowed for public channels";
        }

        return replay.Shape == ReplayShape.Invalid ? "UnableToReplayMessages: Replay params are not valid" : null;
    }

    /// <summary>Reads the replay off the read loop, holding the topic, then completes the join (or refuses it).</summary>
    private void StartReplay(in PhoenixMessage message, JoinedChannel joined, ReplayRequest request)
    {
        var refusal = RefusalReply(message, ReplayFailedReason);
        var channel = joined.Channel;
        var claims = channel.Claims.IsServiceRole ? null : channel.Claims;
        Authorize(channel.Topic, WebSocketOpcode.Text, [], async () =>
        {
            var replayed = await ReadReplayAsync(claims, channel.Name, request);
            return () => FinishReplay(joined, replayed, refusal);
        }, policyCheck: false);
    }

    private void FinishReplay(JoinedChannel joined, List<ReplayedMessage>? replayed, byte[] refusal)
    {
        var channel = joined.Channel;
        if (channel.IsClosed || !_channels.TryGetValue(channel.Topic, out var current) || !ReferenceEquals(current, channel))
        {
            return; // closed by the server meanwhile (token expiry): it already said so
        }

        if (replayed is null)
        {
            RememberForResume(channel); // refused: realtime-js joins again, and takes up any resume this join held
            Leave(channel);
            _hub.Metrics.ReplaysFailed.Increment();
            RefuseJoin(channel.Topic, ReplayFailedReason, refusal);
            return;
        }

        CompleteJoin(joined, replayed);
    }

    /// <summary>The replayed broadcasts, as database broadcasts look live but with <c>meta.replayed</c>; then live frames.</summary>
    private void OpenReplay(RealtimeChannel channel, List<ReplayedMessage> replayed)
    {
        var frames = new List<OutboundFrame>(replayed.Count);
        var ids = new HashSet<string>(replayed.Count, StringComparer.Ordinal);
        foreach (var message in replayed)
        {
            byte[] payload;
            try
            {
                payload = DatabaseBroadcast.Payload(message.Event, message.Payload, message.Id, replayed: true);
            }
            catch (JsonException)
            {
                continue; // not sent live either
            }

            frames.Add(new OutboundFrame(PhoenixFrames.Message(Version, null, null, channel.Topic, "broadcast", payload)));
            ids.Add(message.Id);
        }

        var dropped = channel.Replay!.Open(Connection.Outbound, frames, ids);
        _hub.Metrics.Replayed.Add(frames.Count);
        Log.BroadcastsReplayed(_hub.Logger, channel.Topic, channel.Claims.Role, frames.Count);
        if (dropped > 0)
        {
            _hub.Metrics.ReplayHeldDropped.Add(dropped);
            Send(SystemMessage(channel, "broadcast", ok: false, $"{dropped} message(s) were dropped for this client while its replay was read"));
        }
    }

    /// <summary>The rows to replay; null when the database could not be asked or the query failed.</summary>
    private async Task<List<ReplayedMessage>?> ReadReplayAsync(JwtClaims? claims, string name, ReplayRequest request)
    {
        try
        {
            return await _hub.Replays.ReadAsync(claims, name, request, CancellationToken.None);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            Log.ReplayUnavailable(_hub.Logger, name, ex.Message);
            return null;
        }
    }
}
