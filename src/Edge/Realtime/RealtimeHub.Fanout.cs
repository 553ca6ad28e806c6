using MadBase.Edge.WebSockets;
using MadBase.Protocol.Phoenix;

namespace MadBase.Edge.Realtime;

/// <summary>The binary broadcast and presence fan-outs (through <see cref="TopicFanout"/>), and the link to the other nodes in cluster mode.</summary>
internal sealed partial class RealtimeHub
{
    /// <summary>
    /// The other nodes (cluster mode, <c>MADBASE_NATS_URL</c>); null on a single node. Set once at start, before
    /// the first socket is accepted.
    /// </summary>
    public IClusterLink? Cluster { get; set; }

    /// <summary>A kind-3 binary push of <paramref name="sender"/> to its topic on this node and every other.</summary>
    public int BroadcastBinary(RealtimeChannel sender, PhoenixBroadcastPush push)
    {
        Cluster?.PublishBroadcast(PeerBroadcastKind.Binary, sender.Key, push.Event, push.Metadata, push.Encoding, null, push.Payload);
        return DeliverBinary(sender.Key, push.Event, push.Metadata, push.Encoding, push.Payload, except: sender.BroadcastSelf ? null : sender);
    }

    /// <summary>
    /// A binary push on this node: v2 subscribers get a kind-4 frame with the payload bytes untouched, v1
    /// subscribers the JSON text form; raw-byte payloads cannot be expressed in v1 and are not sent there.
    /// </summary>
    public int DeliverBinary(TopicKey key, ReadOnlySpan<byte> @event, ReadOnlySpan<byte> metadata, PhoenixPayloadEncoding encoding, ReadOnlySpan<byte> payload, RealtimeChannel? except) =>
        Fanout.Send(key, new BinaryBroadcastFrame(key.Topic, @event, metadata, encoding, payload), TopicFanout.Audience.Broadcast, except, messageId: null, Metrics.BroadcastDeliveries);

    /// <summary>
    /// A broadcast on <paramref name="key"/> reached this node's channels but not the other nodes (cluster mode: NATS
    /// refused it or the queue to it was full): the topic's channels here are told, since they hold a conversation
    /// the others missed a part of.
    /// </summary>
    public void TellBroadcastNotPassedOn(TopicKey key, string message)
    {
        foreach (var channel in Topics.Get(key))
        {
            if (channel.ReceivesBroadcast)
            {
                channel.Send(new OutboundFrame(SystemMessages.For(channel, "broadcast", ok: false, message)));
            }
        }
    }

    /// <summary>Broadcasts from another node were lost on the way here (topics unknown): every channel that receives broadcasts is told.</summary>
    public void TellBroadcastsLost(string message)
    {
        foreach (var (session, _) in _sessions)
        {
            session.TellBroadcastsLost(message);
        }
    }

    /// <summary>Changes never reached this node (cluster mode: a gap in the change stream): every postgres_changes channel is told.</summary>
    public void TellChangesMissed()
    {
        foreach (var (session, _) in _sessions)
        {
            session.TellChangesMissed();
        }
    }

    /// <summary>A <c>presence_diff</c> to every channel of the topic on this node that receives presence.</summary>
    public void DeliverPresenceDiff(TopicKey key, byte[] diff) =>
        Fanout.Send(key, new PresenceDiffFrame(key.Topic, diff), TopicFanout.Audience.Presence, except: null, messageId: null, Metrics.PresenceDeliveries);
}
