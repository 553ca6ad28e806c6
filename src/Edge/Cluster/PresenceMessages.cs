using MadBase.Edge.Realtime;

namespace MadBase.Edge.Cluster;

/// <summary>
/// Presence between nodes, after Phoenix.Tracker (docs/cluster.md §Presence): each node owns
/// its local presences and publishes every change, numbered; a heartbeat carries the last number, so a peer that
/// missed one asks for the node's whole state. Layout (<see cref="ClusterWireWriter"/>):
/// <code>
/// changes   (1): node:str  seq:i64  count:i32  { join:1  private:1  topic:str  key:str  phx_ref:str  meta:bytes }*
/// heartbeat (2): node:str  seq:i64
/// state     (3): as changes, every op a join: the node's whole state as of seq
/// </code>
/// </summary>
internal static class PresenceMessages
{
    public enum Type : byte
    {
        Changes = 1,
        Heartbeat = 2,
        State = 3,
    }

    public static byte[] Changes(Type type, string node, long seq, IReadOnlyList<PresenceOp> ops)
    {
        var writer = new ClusterWireWriter().Byte((byte)type).String(node).Int64(seq).Int32(ops.Count);
        foreach (var op in ops)
        {
            writer.Byte(op.Join ? (byte)1 : (byte)0)
                .Byte(op.Topic.IsPrivate ? (byte)1 : (byte)0)
                .String(op.Topic.Topic)
                .String(op.Key)
                .String(op.PhxRef)
                .Bytes(op.Json);
        }

        return writer.ToArray();
    }

    public static byte[] Heartbeat(string node, long seq) => new ClusterWireWriter().Byte((byte)Type.Heartbeat).String(node).Int64(seq).ToArray();

    /// <exception cref="InvalidDataException">Not a presence message of this version's layout.</exception>
    public static (Type Type, string Node, long Seq, PresenceOp[] Ops) Read(ReadOnlySpan<byte> message)
    {
        var reader = new ClusterWireReader(message);
        var type = (Type)reader.Byte();
        var node = reader.String();
        var seq = reader.Int64();
        if (type == Type.Heartbeat)
        {
            return (type, node, seq, []);
        }

        if (type is not (Type.Changes or Type.State))
        {
            throw new InvalidDataException($"unknown presence message type {(byte)type}");
        }

        var count = reader.Int32();
        if (count < 0 || count > message.Length)
        {
            throw new InvalidDataException("bad presence op count");
        }

        var ops = new PresenceOp[count];
        for (var i = 0; i < count; i++)
        {
            var join = reader.Byte() == 1;
            var isPrivate = reader.Byte() == 1;
            var topic = reader.String();
            ops[i] = new PresenceOp(join, new TopicKey(topic, isPrivate), reader.String(), reader.String(), reader.Bytes().ToArray());
        }

        return (type, node, seq, ops);
    }
}
