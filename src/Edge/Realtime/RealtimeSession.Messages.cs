using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using MadBase.Edge.Auth;
using MadBase.Edge.Realtime.Authorization;
using MadBase.Protocol.Phoenix;
using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Realtime;

internal sealed partial class RealtimeSession
{
    /// <summary>
    /// A text broadcast push: the payload bytes go to every channel of the topic untouched, one frame per serializer
    /// version built once and shared (docs/protocol/realtime.md §Broadcast).
    /// </summary>
    private void OnTextBroadcast(in PhoenixMessage message, RealtimeChannel sender, ReadOnlySpan<byte> raw)
    {
        if (sender.IsPrivate && !MayBroadcast(sender, WebSocketOpcode.Text, raw))
        {
            return;
        }

        if (sender.BroadcastAck)
        {
            // The ack precedes the self echo, as upstream sends them (docs/protocol/realtime.md §Captured exchange).
            Send(PhoenixFrames.Reply(Version, message, PhoenixReplyStatus.Ok, PhoenixFrames.EmptyObject));
        }

        _hub.BroadcastText(sender.Key, message.Payload, except: sender.BroadcastSelf ? null : sender);
    }

    /// <summary>A kind-3 binary push (vsn 2.0.0), fanned out by <see cref="RealtimeHub.BroadcastBinary"/>.</summary>
    private void OnBinaryBroadcast(PhoenixBroadcastPush push, ReadOnlySpan<byte> raw)
    {
        if (!Utf8.IsValid(push.Topic) || !_channels.TryGetValue(Encoding.UTF8.GetString(push.Topic), out var sender))
        {
            return; // an undecodable or unjoined topic is simply unmatched (docs/protocol/realtime.md §Binary frames)
        }

        if (!push.JoinRef.IsEmpty && !push.JoinRef.SequenceEqual(sender.JoinRefUtf8))
        {
            return;
        }

        if (sender.IsPrivate && !MayBroadcast(sender, WebSocketOpcode.Binary, raw))
        {
            return;
        }

        if (sender.BroadcastAck && !push.Ref.IsEmpty)
        {
            Send(PhoenixFrames.Reply(Version, sender.JoinRef, Encoding.UTF8.GetString(push.Ref), sender.Topic, PhoenixReplyStatus.Ok, PhoenixFrames.EmptyObject));
        }

        _hub.BroadcastBinary(sender, push);
    }

    /// <summary><c>{"type":"presence","event":"track"|"untrack","payload":{…}}</c>
    /// (docs/protocol/realtime.md §Presence).</summary>
    private void OnPresence(in PhoenixMessage message, RealtimeChannel channel, ReadOnlySpan<byte> raw)
    {
        if (!TryReadPresencePush(message.Payload, out var isTrack, out var start, out var length))
        {
            Send(PhoenixFrames.Reply(Version, message, PhoenixReplyStatus.Error, """{"reason":"Presence track payload must be a map"}"""u8));
            return;
        }

        if (isTrack && channel.IsPrivate)
        {
            // Presence write (and read, if presence was off at join) on a private channel: evaluated at the first
            // track; without write the track is refused with an empty error reply, as upstream.
            var policies = channel.Policies;
            if (policies.PresenceWrite is null || policies.PresenceRead is null)
            {
                StartWriteCheck(channel, WebSocketOpcode.Text, raw, withPresenceRead: policies.PresenceRead is null);
                return;
            }

            if (policies.PresenceWrite != true)
            {
                _hub.Metrics.UnauthorizedDrops.Increment();
                Send(PhoenixFrames.Reply(Version, message, PhoenixReplyStatus.Error, PhoenixFrames.EmptyObject));
                return;
            }
        }

        byte[]? diff;
        if (isTrack)
        {
            channel.PresenceEnabled = true; // tracking turns presence on for the tracker too
            diff = _hub.Presence.Track(channel, message.Payload.Slice(start, length));
        }
        else
        {
            diff = _hub.Presence.Untrack(channel);
        }

        Send(PhoenixFrames.Reply(Version, message, PhoenixReplyStatus.Ok, PhoenixFrames.EmptyObject));
        if (diff is not null)
        {
            _hub.DeliverPresenceDiff(channel.Key, diff);
        }
    }

    /// <summary>
    /// <c>access_token</c> (docs/protocol/realtime.md §Access token refresh): no reply. A valid new token re-authorizes
    /// the channel (RLS for its postgres_changes follows the new claims at once); an invalid one closes the channel.
    /// </summary>
    private void OnAccessToken(in PhoenixMessage message, RealtimeChannel channel)
    {
        string? token = null;
        try
        {
            var reader = new Utf8JsonReader(message.Payload);
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isToken = reader.ValueTextEquals("access_token"u8);
                    reader.Read();
                    if (isToken && reader.TokenType == JsonTokenType.String)
                    {
                        token = reader.GetString();
                    }

                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return;
        }

        if (string.IsNullOrEmpty(token) || token.StartsWith("sb_", StringComparison.Ordinal) || token == channel.Token)
        {
            return;
        }

        if (!_hub.Jwt.TryValidate(token, out var claims, out var problem))
        {
            CloseChannel(channel, problem == "token has expired" ? "Token has expired 0 seconds ago" : "Invalid JWT Token: " + problem);
            return;
        }

        if (channel.IsPrivate && !claims.IsServiceRole)
        {
            StartRefreshCheck(channel, claims, token);
            return;
        }

        if (channel.IsPrivate)
        {
            channel.Policies = ChannelPolicies.All;
        }

        Reauthorized(channel, claims, token);
    }

    private void Reauthorized(RealtimeChannel channel, JwtClaims claims, string token)
    {
        channel.UpdateAuth(claims, token);
        _hub.Metrics.TokenRefreshes.Increment();
        Log.ChannelReauthorized(_hub.Logger, channel.Topic, claims.Role);
    }

    private static bool TryReadPresencePush(ReadOnlySpan<byte> payload, out bool isTrack, out int start, out int length)
    {
        isTrack = false;
        start = 0;
        length = 0;
        var sawEvent = false;
        var sawObject = false;
        try
        {
            var reader = new Utf8JsonReader(payload);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("event"u8))
                {
                    reader.Read();
                    sawEvent = true;
                    isTrack = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("track"u8);
                }
                else if (reader.ValueTextEquals("payload"u8))
                {
                    reader.Read();
                    start = (int)reader.TokenStartIndex;
                    sawObject = reader.TokenType == JsonTokenType.StartObject;
                    reader.Skip();
                    length = (int)reader.BytesConsumed - start;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }

        if (!isTrack)
        {
            return sawEvent; // untrack needs no payload
        }

        if (!sawObject)
        {
            return false;
        }

        return true;
    }
}
