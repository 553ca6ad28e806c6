using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>Phoenix channel semantics on raw sockets, with exact frames (docs/protocol/realtime.md, §Joining a channel
/// through §Presence).</summary>
public sealed class RealtimeChannelTests(RealtimeServerFixture server) : IClassFixture<RealtimeServerFixture>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    private Task<RawWebSocket> ConnectAsync(string vsn = "2.0.0", string? token = null) =>
        RawWebSocket.ConnectAsync(server.Edge.Port, $"/realtime/v1/websocket?apikey={token ?? Tokens.Anon}&vsn={vsn}");

    [Fact]
    public async Task BinaryBroadcast_ToV1Subscriber_ArrivesAsJsonText()
    {
        await using var v2 = await ConnectAsync();
        await using var v1 = await ConnectAsync("1.0.0");
        await v1.SendTextAsync("""{"topic":"realtime:mixed","event":"phx_join","payload":{"config":{}},"ref":"1","join_ref":"1"}""");
        Assert.Contains("\"status\":\"ok\"", await v1.ReadTextContainingAsync("phx_reply", s_timeout), StringComparison.Ordinal);
        await v2.SendTextAsync("""["1","1","realtime:mixed","phx_join",{"config":{}}]""");
        await v2.ReadTextContainingAsync("phx_reply", s_timeout);

        var topic = "realtime:mixed"u8.ToArray();
        var push = new List<byte> { 3, 1, 1, (byte)topic.Length, 4, 0, 1, (byte)'1', (byte)'2' };
        push.AddRange(topic);
        push.AddRange("ping"u8.ToArray());
        push.AddRange("""{"k":[1,2]}"""u8.ToArray());
        await v2.SendFrameAsync(WebSocketOpcode.Binary, push.ToArray());

        var text = await v1.ReadTextContainingAsync("broadcast", s_timeout);
        Assert.Equal("""{"topic":"realtime:mixed","event":"broadcast","ref":null,"payload":{"type":"broadcast","event":"ping","payload":{"k":[1,2]}}}""", text);
    }

    [Fact]
    public async Task TextBroadcast_WithoutSelf_ReachesOthersOnlyWithNullRefs()
    {
        await using var a = await ConnectAsync();
        await using var b = await ConnectAsync();
        foreach (var socket in new[] { a, b })
        {
            await socket.SendTextAsync("""["7","7","realtime:chat","phx_join",{"config":{"broadcast":{"self":false,"ack":false}}}]""");
            await socket.ReadTextContainingAsync("phx_reply", s_timeout);
        }

        await a.SendTextAsync("""["7","8","realtime:chat","broadcast",{"type":"broadcast","event":"m","payload":{"t":"hi ü"}}]""");
        Assert.Equal("""[null,null,"realtime:chat","broadcast",{"type":"broadcast","event":"m","payload":{"t":"hi ü"}}]""", await b.ReadTextContainingAsync("broadcast", s_timeout));

        // a gets neither an ack nor its own message: the next thing it sees is the heartbeat answer.
        await a.SendTextAsync("""[null,"9","phoenix","heartbeat",{}]""");
        var next = await a.ReadFrameAsync(s_timeout);
        Assert.Equal("""[null,"9","phoenix","phx_reply",{"status":"ok","response":{}}]""", Encoding.UTF8.GetString(next!.Value.Payload));
    }

    [Fact]
    public async Task Presence_TrackThenUpdate_DiffCarriesJoinWithPrevRefAndLeave()
    {
        await using var socket = await ConnectAsync();
        await socket.SendTextAsync("""["2","2","realtime:p","phx_join",{"config":{"presence":{"key":"me","enabled":true}}}]""");
        await socket.ReadTextContainingAsync("phx_reply", s_timeout);
        Assert.Equal("""["2",null,"realtime:p","presence_state",{}]""", await socket.ReadTextContainingAsync("presence_state", s_timeout));

        await socket.SendTextAsync("""["2","3","realtime:p","presence",{"type":"presence","event":"track","payload":{"status":"online"}}]""");
        Assert.Equal("""["2","3","realtime:p","phx_reply",{"status":"ok","response":{}}]""", await socket.ReadTextContainingAsync("phx_reply", s_timeout));
        var first = await socket.ReadTextContainingAsync("presence_diff", s_timeout);
        Assert.Matches("""^\[null,null,"realtime:p","presence_diff",\{"joins":\{"me":\{"metas":\[\{"phx_ref":"F[0-9a-f]+","status":"online"\}\]\}\},"leaves":\{\}\}\]$""", first);

        await socket.SendTextAsync("""["2","4","realtime:p","presence",{"type":"presence","event":"track","payload":{"status":"away"}}]""");
        var update = await socket.ReadTextContainingAsync("presence_diff", s_timeout);
        Assert.Matches("""\{"joins":\{"me":\{"metas":\[\{"phx_ref":"F[0-9a-f]+","phx_ref_prev":"F[0-9a-f]+","status":"away"\}\]\}\},"leaves":\{"me":\{"metas":\[\{"phx_ref":"F[0-9a-f]+","status":"online"\}\]\}\}\}""", update);

        await socket.SendTextAsync("""["2","5","realtime:p","presence",{"type":"presence","event":"untrack"}]""");
        Assert.Contains("\"joins\":{},\"leaves\":{\"me\"", await socket.ReadTextContainingAsync("presence_diff", s_timeout), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presence_TrackNonObject_RepliesError()
    {
        await using var socket = await ConnectAsync();
        await socket.SendTextAsync("""["2","2","realtime:pe","phx_join",{"config":{}}]""");
        await socket.ReadTextContainingAsync("phx_reply", s_timeout);
        await socket.SendTextAsync("""["2","3","realtime:pe","presence",{"type":"presence","event":"track","payload":[1]}]""");
        Assert.Equal("""["2","3","realtime:pe","phx_reply",{"status":"error","response":{"reason":"Presence track payload must be a map"}}]""", await socket.ReadTextContainingAsync("phx_reply", s_timeout));
    }

    [Fact]
    public async Task Join_PrivateChannelAsAnon_RefusedUnauthorized()
    {
        await using var socket = await ConnectAsync();
        await socket.SendTextAsync("""["1","1","realtime:secret","phx_join",{"config":{"private":true}}]""");
        Assert.Equal("""["1","1","realtime:secret","phx_reply",{"status":"error","response":{"reason":"Unauthorized: You do not have permissions to read from this Channel topic: secret"}}]""", await socket.ReadTextContainingAsync("phx_reply", s_timeout));
    }

    [Fact]
    public async Task Join_BareRealtimeTopic_RefusedTopicNameRequired()
    {
        await using var socket = await ConnectAsync();
        await socket.SendTextAsync("""["1","1","realtime:","phx_join",{"config":{}}]""");
        Assert.Contains("TopicNameRequired", await socket.ReadTextContainingAsync("phx_reply", s_timeout), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Join_SameTopicTwice_ClosesOldJoinRefAndRejoins()
    {
        await using var socket = await ConnectAsync();
        await socket.SendTextAsync("""["1","1","realtime:twice","phx_join",{"config":{}}]""");
        await socket.ReadTextContainingAsync("phx_reply", s_timeout);
        await socket.SendTextAsync("""["5","5","realtime:twice","phx_join",{"config":{}}]""");
        Assert.Equal("""["1","1","realtime:twice","phx_close",{}]""", await socket.ReadTextContainingAsync("phx_close", s_timeout));
        Assert.Equal("""["5","5","realtime:twice","phx_reply",{"status":"ok","response":{"postgres_changes":[]}}]""", await socket.ReadTextContainingAsync("phx_reply", s_timeout));

        // A frame under the old join_ref is ignored; the current one is answered.
        await socket.SendTextAsync("""["1","6","realtime:twice","phx_leave",{}]""");
        await socket.SendTextAsync("""["5","7","realtime:twice","phx_leave",{}]""");
        Assert.Contains("\"7\"", await socket.ReadTextContainingAsync("phx_reply", s_timeout), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccessToken_Invalid_SystemErrorAndPhxClose()
    {
        await using var socket = await ConnectAsync();
        await socket.SendTextAsync("""["3","3","realtime:tok","phx_join",{"config":{}}]""");
        await socket.ReadTextContainingAsync("phx_reply", s_timeout);
        var forged = Tokens.Create("authenticated", Guid.NewGuid().ToString(), secret: "another-secret-another-secret-0123456789");
        await socket.SendTextAsync($$"""["3","4","realtime:tok","access_token",{"access_token":"{{forged}}"}]""");
        Assert.Contains("\"status\":\"error\"", await socket.ReadTextContainingAsync("\"system\"", s_timeout), StringComparison.Ordinal);
        Assert.Equal("""["3","3","realtime:tok","phx_close",{}]""", await socket.ReadTextContainingAsync("phx_close", s_timeout));
    }
}
