using MadBase.Edge.Cluster;

namespace MadBase.Edge.Tests.Cluster;

/// <summary>The messages nodes exchange on NATS, and a peer's presence applied to the registry.</summary>
[Trait("Kind", "InProcess")]
public sealed class ClusterWireTests
{
    private static readonly TopicKey s_room = new("realtime:room", IsPrivate: true);

    [Fact]
    public void PresenceChanges_RoundTrip_SameNodeSeqAndOps()
    {
        var ops = new[] { new PresenceOp(false, s_room, "k", "Fab-1", "{\"phx_ref\":\"Fab-1\"}"u8.ToArray()), new PresenceOp(true, s_room, "k", "Fab-2", "{\"phx_ref\":\"Fab-2\",\"x\":1}"u8.ToArray()) };

        var (type, node, seq, read) = PresenceMessages.Read(PresenceMessages.Changes(PresenceMessages.Type.Changes, "node-a", 42, ops));

        Assert.Equal((PresenceMessages.Type.Changes, "node-a", 42L), (type, node, seq));
        Assert.Equal(2, read.Length);
        Assert.Equal((ops[1].Join, ops[1].Topic, ops[1].Key, ops[1].PhxRef), (read[1].Join, read[1].Topic, read[1].Key, read[1].PhxRef));
        Assert.Equal(ops[1].Json, read[1].Json);
    }

    [Fact]
    public void PresenceChanges_EveryProperPrefix_InvalidData()
    {
        var message = PresenceMessages.Changes(PresenceMessages.Type.Changes, "n", 1, [new PresenceOp(true, s_room, "k", "F1", "{}"u8.ToArray())]);
        for (var length = 0; length < message.Length; length++)
        {
            var prefix = message[..length];
            Assert.Throws<InvalidDataException>(() => PresenceMessages.Read(prefix));
        }
    }

    [Fact]
    public void Broadcast_Truncated_InvalidDataAndNothingDelivered()
    {
        var message = ClusterBroadcast.Encode(PeerBroadcastKind.Text, s_room, [], [], Protocol.Phoenix.PhoenixPayloadEncoding.Json, "id-1", "{\"a\":1}"u8);

        Assert.Throws<InvalidDataException>(() => ClusterBroadcast.Deliver(null!, message.AsSpan(0, message.Length - 1)));
    }

    [Fact]
    public void BroadcastSequences_FirstHeardTakenAsItIs_JumpsCountedAndRestartsCountFromOne()
    {
        var heard = new BroadcastSequences();

        Assert.Equal(0, heard.Observe("a", 500)); // this node started after a had sent 499
        Assert.Equal(0, heard.Observe("a", 501));
        Assert.Equal(3, heard.Observe("a", 505));
        Assert.Equal(0, heard.Observe("b", 1)); // nodes are counted apart
        Assert.Equal(0, heard.Observe("a", 1)); // a restarted: its new run
        Assert.Equal(1, heard.Observe("a", 3));
        Assert.Equal(2, heard.Observe("a", 3)); // the last number again: another restart, whose 1 and 2 were missed
    }

    [Fact]
    public void Registry_PeerJoinsTransfersAndDies_DiffsAndStateFollow()
    {
        var registry = new PresenceRegistry();
        var join = new PresenceOp(true, s_room, "alice", "Fpeer-1", "{\"phx_ref\":\"Fpeer-1\",\"s\":\"on\"}"u8.ToArray());

        var joined = Assert.Single(registry.ApplyRemote("peer", [join]));
        Assert.Equal("""{"joins":{"alice":{"metas":[{"phx_ref":"Fpeer-1","s":"on"}]}},"leaves":{}}""", Encoding.UTF8.GetString(joined.Diff));
        Assert.Equal("""{"alice":{"metas":[{"phx_ref":"Fpeer-1","s":"on"}]}}""", Encoding.UTF8.GetString(registry.State(s_room)));

        // A state transfer repeating what is known changes nothing; the node's death is every meta's leave.
        Assert.Empty(registry.ReplaceRemote("peer", [join]));
        var left = Assert.Single(registry.DropRemote("peer"));
        Assert.Equal("""{"joins":{},"leaves":{"alice":{"metas":[{"phx_ref":"Fpeer-1","s":"on"}]}}}""", Encoding.UTF8.GetString(left.Diff));
        Assert.Equal("{}", Encoding.UTF8.GetString(registry.State(s_room)));
    }
}
