using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using MadBase.Edge.Tests.Realtime;

namespace MadBase.Edge.Tests.Cluster;

/// <summary>
/// Broadcast and presence across three edge nodes on one nats-server (cluster mode, issue #19): raw sockets on
/// different nodes, the REST broadcast, <c>realtime.send</c> rows read by the slot leader only, and presence leaves
/// after a node is killed.
/// </summary>
public sealed class ClusterRealtimeTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task SocketBroadcast_SendersOnTwoNodes_EveryNodeGetsEachOnceInOrderWithSelfAndAck()
    {
        const string topic = "realtime:cluster-chat";
        const int count = 50;
        await using var a = await JoinAsync(0, topic, """{"broadcast":{"self":true,"ack":true}}""");
        await using var b = await JoinAsync(1, topic, """{"broadcast":{"self":false,"ack":false}}""");
        await using var c = await JoinAsync(2, topic, "{}");

        for (var i = 0; i < count; i++)
        {
            await a.SendTextAsync($$$"""["1","m{{{i}}}","{{{topic}}}","broadcast",{"type":"broadcast","event":"a","payload":{"n":{{{i}}}}}]""");
            await b.SendTextAsync($$$"""["1","m{{{i}}}","{{{topic}}}","broadcast",{"type":"broadcast","event":"b","payload":{"n":{{{i}}}}}]""");
        }

        // a (ack, self): per message the ack, then its own echo; plus b's messages. b (no self): only a's.
        var atA = await ReadBroadcastsAsync(a, 2 * count, acks: count);
        var atB = await ReadBroadcastsAsync(b, count, acks: 0);
        var atC = await ReadBroadcastsAsync(c, 2 * count, acks: 0);

        Assert.Equal(Sequence("a", count), atA.Where(m => m.StartsWith("a:", StringComparison.Ordinal)));
        Assert.Equal(Sequence("b", count), atA.Where(m => m.StartsWith("b:", StringComparison.Ordinal)));
        Assert.Equal(Sequence("a", count), atB);
        Assert.Equal(Sequence("a", count), atC.Where(m => m.StartsWith("a:", StringComparison.Ordinal)));
        Assert.Equal(Sequence("b", count), atC.Where(m => m.StartsWith("b:", StringComparison.Ordinal)));
        foreach (var socket in new[] { a, b, c })
        {
            await AssertNothingMoreAsync(socket); // once each: no second copy behind them
        }
    }

    [Fact]
    public async Task PeerBroadcasts_GapInTheirNumbering_ChannelsAreToldHowManyWereLost()
    {
        const string topic = "realtime:cluster-gap";
        await using var socket = await JoinAsync(1, topic, "{}");
        var subject = $"madbase.{cluster.Slot}.broadcast";

        // A peer's broadcasts 1 and 5 arrive; 2–4 were lost on the way (at most once): 3 missed, and told.
        await cluster.Nats.PublishAsync(subject, PeerBroadcast("peer-gap", 1, "first"));
        Assert.Contains("\"first\"", await socket.ReadTextContainingAsync("broadcast", s_timeout), StringComparison.Ordinal);
        await cluster.Nats.PublishAsync(subject, PeerBroadcast("peer-gap", 5, "fifth"));

        var told = await socket.ReadTextContainingAsync("system", s_timeout);
        Assert.Contains("\"extension\":\"broadcast\",\"status\":\"error\",\"message\":\"3 broadcast message(s) from another node were lost", told, StringComparison.Ordinal);
        Assert.Contains("\"fifth\"", await socket.ReadTextContainingAsync("broadcast", s_timeout), StringComparison.Ordinal);
        var logged = Stopwatch.StartNew();
        while (!cluster.Nodes[1].Log.Contains("broadcast message(s) from node peer-gap never arrived", StringComparison.Ordinal) && logged.Elapsed < s_timeout)
        {
            await Task.Delay(100);
        }

        Assert.Contains("3 broadcast message(s) from node peer-gap never arrived", cluster.Nodes[1].Log, StringComparison.Ordinal);
        await AssertNothingMoreAsync(socket);

        static byte[] PeerBroadcast(string node, long seq, string text)
        {
            var message = MadBase.Edge.Cluster.ClusterBroadcast.Encode(MadBase.Edge.Realtime.PeerBroadcastKind.Text, new MadBase.Edge.Realtime.TopicKey(topic, false), [], [], Protocol.Phoenix.PhoenixPayloadEncoding.Json, null, Encoding.UTF8.GetBytes($$$"""{"type":"broadcast","event":"e","payload":{"t":"{{{text}}}"}}"""));
            return new MadBase.Edge.Cluster.ClusterWireWriter().String(node).Int64(seq).Bytes(message).ToArray();
        }
    }

    [Fact]
    public async Task RestBroadcast_PostedToOneNode_ReachesSocketsOnEveryNode()
    {
        var sockets = new List<RawWebSocket>();
        try
        {
            for (var node = 0; node < 3; node++)
            {
                sockets.Add(await JoinAsync(node, "realtime:cluster-rest", "{}"));
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, "/realtime/v1/api/broadcast")
            {
                Content = new StringContent("""{"messages":[{"topic":"cluster-rest","event":"news","payload":{"n":1}}]}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.Anon);
            Assert.Equal(HttpStatusCode.Accepted, (await cluster.Nodes[1].Http.SendAsync(request)).StatusCode);

            foreach (var socket in sockets)
            {
                Assert.Equal("""[null,null,"realtime:cluster-rest","broadcast",{"type":"broadcast","event":"news","payload":{"n":1}}]""", await socket.ReadTextContainingAsync("broadcast", s_timeout));
                await AssertNothingMoreAsync(socket);
            }
        }
        finally
        {
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task DatabaseBroadcast_RealtimeSend_ReachesSocketsOnFollowerNodesOnceInCommitOrder()
    {
        await using var onLeader = await JoinAsync(0, "realtime:cluster-db", "{}");
        await using var onFollower = await JoinAsync(2, "realtime:cluster-db", "{}");
        for (var i = 0; i < 10; i++)
        {
            await cluster.ExecuteAsync($$"""select realtime.send('{"n":{{i}}}', 'db', 'cluster-db', false)""");
        }

        foreach (var socket in new[] { onLeader, onFollower })
        {
            for (var i = 0; i < 10; i++)
            {
                Assert.Contains($"\"payload\":{{\"n\": {i},", await socket.ReadTextContainingAsync("broadcast", s_timeout), StringComparison.Ordinal);
            }

            await AssertNothingMoreAsync(socket);
        }
    }

    [Fact]
    public async Task Presence_TrackedOnOneNode_InStateAndDiffsElsewhere_LeavesWithinTenSecondsOfKill()
    {
        const string topic = "realtime:cluster-presence";
        var doomed = await cluster.StartExtraNodeAsync(expectedPeers: 3);
        await using var watcher = await JoinAsync(1, topic, """{"presence":{"key":"watcher","enabled":true}}""");
        Assert.Equal($$"""["1",null,"{{topic}}","presence_state",{}]""", await watcher.ReadTextContainingAsync("presence_state", s_timeout));

        await using var tracker = await RawWebSocket.ConnectAsync(doomed.Port, $"/realtime/v1/websocket?apikey={Tokens.Anon}&vsn=2.0.0");
        await tracker.SendTextAsync("""["1","1","realtime:cluster-presence","phx_join",{"config":{"presence":{"key":"doomed","enabled":true}}}]""");
        await tracker.ReadTextContainingAsync("phx_reply", s_timeout);
        await tracker.SendTextAsync($$$"""["1","2","{{{topic}}}","presence",{"type":"presence","event":"track","payload":{"where":"node-3"}}]""");

        var join = await watcher.ReadTextContainingAsync("presence_diff", s_timeout);
        Assert.Matches("""\{"joins":\{"doomed":\{"metas":\[\{"phx_ref":"F[0-9a-f]+-[0-9a-f]+","where":"node-3"\}\]\}\},"leaves":\{\}\}""", join);

        // A socket joining later, on a third node, is told the presence of the doomed node's socket — once that node has
        // it: presence between nodes is eventually consistent (a node meeting a new peer first transfers its state).
        await using var lateSocket = await JoinUntilPresentAsync(2, topic, "late", "\"doomed\":{\"metas\":[{\"phx_ref\":\"F");

        await using var onLeader = await JoinAsync(0, topic, """{"presence":{"key":"leader","enabled":true}}""");
        Assert.Contains("\"doomed\"", await onLeader.ReadTextContainingAsync("presence_state", s_timeout), StringComparison.Ordinal);

        var killed = Stopwatch.StartNew();
        await doomed.KillHardAsync();
        foreach (var socket in new[] { watcher, lateSocket, onLeader }) // every node detects the death on its own
        {
            var leave = await socket.ReadTextContainingAsync("presence_diff", TimeSpan.FromSeconds(10) - killed.Elapsed);
            Assert.Matches("""\{"joins":\{\},"leaves":\{"doomed":\{"metas":\[\{"phx_ref":"F[0-9a-f]+-[0-9a-f]+","where":"node-3"\}\]\}\}\}""", leave);
        }

        Assert.True(killed.Elapsed < TimeSpan.FromSeconds(10), $"leaves took {killed.Elapsed}");
        await using var after = await JoinAsync(0, topic, """{"presence":{"key":"after","enabled":true}}""");
        Assert.DoesNotContain("doomed", await after.ReadTextContainingAsync("presence_state", s_timeout), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SupabaseJs_BroadcastBetweenNodes_SelfAndAckAsOnOneNode()
    {
        var result = (await NodeScript.RunAsync("realtime-broadcast.mjs", JsEnv(), TimeSpan.FromSeconds(60))).Json;

        Assert.Equal("ok", result.GetProperty("ackA").GetString());
        Assert.Equal("ok", result.GetProperty("ackB").GetString());
        Assert.Equal(["a", "b"], result.GetProperty("a").EnumerateArray().Select(m => m.GetProperty("from").GetString()));
        Assert.Equal(["a"], result.GetProperty("b").EnumerateArray().Select(m => m.GetProperty("from").GetString()));
        Assert.Equal("grüße", result.GetProperty("b")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task SupabaseJs_PresenceBetweenNodes_BothKeysThenLeave()
    {
        var result = (await NodeScript.RunAsync("realtime-presence.mjs", JsEnv(), TimeSpan.FromSeconds(60))).Json;

        Assert.Equal(["user-a", "user-b"], result.GetProperty("keysA").EnumerateArray().Select(k => k.GetString()).Order());
        Assert.Equal(["user-a", "user-b"], result.GetProperty("keysB").EnumerateArray().Select(k => k.GetString()).Order());
        Assert.Equal("bob", result.GetProperty("bobSeenByA").GetString());
        Assert.Contains("user-b", result.GetProperty("leaves").EnumerateArray().Select(k => k.GetString()));
        Assert.Equal(["user-a"], result.GetProperty("afterLeave").EnumerateArray().Select(k => k.GetString()));
    }

    [Fact]
    public async Task Metrics_EveryNode_ShowsNatsConnectedAndOneSlotLeader()
    {
        var leaders = 0;
        foreach (var node in cluster.Nodes)
        {
            var metrics = await node.Http.GetStringAsync("/metrics");
            Assert.Contains("\nmadbase_cluster_nats_connected 1", metrics, StringComparison.Ordinal);
            leaders += metrics.Contains("\nmadbase_cluster_slot_leader 1", StringComparison.Ordinal) ? 1 : 0;
            Assert.Contains("\"nats\":\"connected as node ", await node.Http.GetStringAsync("/ready"), StringComparison.Ordinal);
        }

        Assert.Equal(1, leaders);
    }

    /// <summary>supabase-js scenario environment: client A on node 0, client B on node 2.</summary>
    private Dictionary<string, string> JsEnv() => new()
    {
        ["EDGE_URL"] = cluster.Nodes[0].BaseUri.ToString().TrimEnd('/'),
        ["EDGE_URL_B"] = cluster.Nodes[2].BaseUri.ToString().TrimEnd('/'),
        ["EDGE_ANON_KEY"] = Tokens.Anon,
    };

    private static IEnumerable<string> Sequence(string sender, int count) => Enumerable.Range(0, count).Select(i => $"{sender}:{i}");

    private async Task<RawWebSocket> JoinAsync(int node, string topic, string config)
    {
        var socket = await RawWebSocket.ConnectAsync(cluster.Nodes[node].Port, $"/realtime/v1/websocket?apikey={Tokens.Anon}&vsn=2.0.0");
        await socket.SendTextAsync($$"""["1","1","{{topic}}","phx_join",{"config":{{config}}}]""");
        Assert.Contains("\"status\":\"ok\"", await socket.ReadTextContainingAsync("phx_reply", s_timeout), StringComparison.Ordinal);
        return socket;
    }

    /// <summary>Joins on <paramref name="node"/> (again, for up to 5 s) until its <c>presence_state</c> contains <paramref name="expected"/>.</summary>
    private async Task<RawWebSocket> JoinUntilPresentAsync(int node, string topic, string key, string expected)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var socket = await JoinAsync(node, topic, $$$"""{"presence":{"key":"{{{key}}}","enabled":true}}""");
            var state = await socket.ReadTextContainingAsync("presence_state", s_timeout);
            if (state.Contains(expected, StringComparison.Ordinal))
            {
                return socket;
            }

            await socket.DisposeAsync();
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"node {node} never listed it: {state}");
            await Task.Delay(200);
        }
    }

    /// <summary>Reads <paramref name="broadcasts"/> broadcasts as "event:n" and exactly <paramref name="acks"/> ok replies.</summary>
    private static async Task<List<string>> ReadBroadcastsAsync(RawWebSocket socket, int broadcasts, int acks)
    {
        var seen = new List<string>();
        var acked = 0;
        while (seen.Count < broadcasts || acked < acks)
        {
            var frame = await socket.ReadFrameAsync(s_timeout) ?? throw new InvalidOperationException("socket closed");
            var text = Encoding.UTF8.GetString(frame.Payload);
            if (text.Contains("\"phx_reply\"", StringComparison.Ordinal))
            {
                Assert.Contains("\"status\":\"ok\"", text, StringComparison.Ordinal);
                acked++;
                continue;
            }

            Assert.Contains("\"broadcast\"", text, StringComparison.Ordinal);
            var at = text.IndexOf("\"event\":\"", StringComparison.Ordinal) + 9;
            var n = text.IndexOf("\"n\":", StringComparison.Ordinal) + 4;
            seen.Add(text[at..text.IndexOf('"', at)] + ":" + text[n..text.IndexOf('}', n)]);
        }

        Assert.Equal(acks, acked);
        return seen;
    }

    /// <summary>A heartbeat's answer is the next frame: nothing else (no duplicate) was queued before it.</summary>
    private static async Task AssertNothingMoreAsync(RawWebSocket socket)
    {
        await Task.Delay(300); // duplicates from another node would have arrived by now
        await socket.SendTextAsync("""[null,"hb","phoenix","heartbeat",{}]""");
        var next = await socket.ReadFrameAsync(s_timeout);
        Assert.Equal("""[null,"hb","phoenix","phx_reply",{"status":"ok","response":{}}]""", Encoding.UTF8.GetString(next!.Value.Payload));
    }
}
