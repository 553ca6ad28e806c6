using MadBase.Edge.Realtime;
using MadBase.Protocol.Phoenix;

namespace MadBase.Edge.Cluster;

/// <summary>
/// A broadcast crossing nodes: the node that received it (a socket push, a REST call, or the slot leader's
/// <c>realtime.send</c> row) delivers it to its own sockets and publishes it once; every other node delivers it to
/// all of its channels of the topic. Layout (<see cref="ClusterWireWriter"/>):
/// <code>
/// kind:1  private:1  topic:str  event:bytes  metadata:bytes  encoding:1  message_id:str ("" = none)  payload:bytes
/// </code>
/// The kind is one of the hub's three local fan-outs (<see cref="PeerBroadcastKind"/>).
/// </summary>
internal static class ClusterBroadcast
{
    public static byte[] Encode(PeerBroadcastKind kind, TopicKey key, ReadOnlySpan<byte> @event, ReadOnlySpan<byte> metadata, PhoenixPayloadEncoding encoding, string? messageId, ReadOnlySpan<byte> payload) =>
        new ClusterWireWriter()
            .Byte((byte)kind)
            .Byte(key.IsPrivate ? (byte)1 : (byte)0)
            .String(key.Topic)
            .Bytes(@event)
            .Bytes(metadata)
            .Byte((byte)encoding)
            .String(messageId ?? "")
            .Bytes(payload)
            .ToArray();

    /// <summary>Delivers a peer's broadcast to this node's channels of its topic; the frame count.</summary>
    /// <exception cref="InvalidDataException">Not a broadcast of this version's layout.</exception>
    public static int Deliver(RealtimeHub hub, ReadOnlySpan<byte> message)
    {
        var reader = new ClusterWireReader(message);
        var kind = (PeerBroadcastKind)reader.Byte();
        var isPrivate = reader.Byte() == 1;
        var key = new TopicKey(reader.String(), isPrivate);
        var @event = reader.Bytes();
        var metadata = reader.Bytes();
        var encoding = (PhoenixPayloadEncoding)reader.Byte();
        var messageId = reader.String();
        var payload = reader.Bytes();
        return kind switch
        {
            PeerBroadcastKind.Text => hub.DeliverText(key, payload, except: null, messageId.Length == 0 ? null : messageId),
            PeerBroadcastKind.Raw => hub.DeliverRaw(key, System.Text.Encoding.UTF8.GetString(@event), payload),
            PeerBroadcastKind.Binary => hub.DeliverBinary(key, @event, metadata, encoding, payload, except: null),
            _ => throw new InvalidDataException($"unknown broadcast kind {(byte)kind}"),
        };
    }
}
