using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>
/// Private channels (Realtime Authorization) on raw sockets, with exact frames: realtime.messages SELECT policies at
/// join and on access_token, INSERT policies at the first broadcast or track, REST broadcast by policy.
/// </summary>
public sealed partial class PrivateChannelTests(PrivateChannelServerFixture server) : IClassFixture<PrivateChannelServerFixture>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    private static string TokenA => Tokens.User(PrivateChannelServerFixture.UserA);

    private static string TokenB => Tokens.User(PrivateChannelServerFixture.UserB);

    private static string RoomA => PrivateChannelServerFixture.RoomA;

    [Fact]
    public async Task Join_PrivateTopicReadPolicyDenies_RefusedWithUnauthorizedReason()
    {
        await using var socket = await ConnectAsync(TokenB);

        await socket.SendTextAsync($$$"""["1","1","realtime:{{{RoomA}}}","phx_join",{"config":{"private":true}}]""");

        Assert.Equal(
            $$$"""["1","1","realtime:{{{RoomA}}}","phx_reply",{"status":"error","response":{"reason":"Unauthorized: You do not have permissions to read from this Channel topic: {{{RoomA}}}"}}]""",
            await socket.ReadTextContainingAsync("phx_reply", s_timeout));
    }

    [Fact]
    public async Task Join_PrivateTopicReadPolicyAllows_JoinedAndPresenceStateSent()
    {
        await using var socket = await ConnectAsync(TokenA);

        await socket.SendTextAsync($$$$"""["1","1","realtime:{{{{RoomA}}}}","phx_join",{"config":{"private":true,"presence":{"key":"a","enabled":true}}}]""");

        Assert.Equal($$$"""["1","1","realtime:{{{RoomA}}}","phx_reply",{"status":"ok","response":{"postgres_changes":[]}}]""", await socket.ReadTextContainingAsync("phx_reply", s_timeout));
        Assert.Equal($$$"""["1",null,"realtime:{{{RoomA}}}","presence_state",{}]""", await socket.ReadTextContainingAsync("presence_state", s_timeout));
    }

    [Fact]
    public async Task Join_PrivateAsServiceRole_BypassesPolicies()
    {
        await using var socket = await ConnectAsync(Tokens.ServiceRole);

        await socket.SendTextAsync("""["1","1","realtime:nobody-may-read","phx_join",{"config":{"private":true}}]""");

        Assert.Contains("\"status\":\"ok\"", await socket.ReadTextContainingAsync("phx_reply", s_timeout), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Join_PrivateThenPushesBeforeReply_ProcessedInOrderAfterJoin()
    {
        await using var socket = await ConnectAsync(TokenA);

        // Everything is sent at once: the broadcast and the leave wait behind the join's policy check.
        await socket.SendTextAsync($$$$"""["1","1","realtime:{{{{RoomA}}}}","phx_join",{"config":{"private":true,"broadcast":{"self":true,"ack":true}}}]""");
        await socket.SendTextAsync($$$"""["1","2","realtime:{{{RoomA}}}","broadcast",{"type":"broadcast","event":"e","payload":{"n":1}}]""");
        await socket.SendTextAsync($$$"""["1","3","realtime:{{{RoomA}}}","phx_leave",{}]""");

        Assert.Equal($$$"""["1","1","realtime:{{{RoomA}}}","phx_reply",{"status":"ok","response":{"postgres_changes":[]}}]""", await ReadTextAsync(socket));
        Assert.Equal($$$"""["1","2","realtime:{{{RoomA}}}","phx_reply",{"status":"ok","response":{}}]""", await ReadTextAsync(socket));
        Assert.Equal($$$"""[null,null,"realtime:{{{RoomA}}}","broadcast",{"type":"broadcast","event":"e","payload":{"n":1}}]""", await ReadTextAsync(socket));
        Assert.Equal($$$"""["1","3","realtime:{{{RoomA}}}","phx_reply",{"status":"ok","response":{}}]""", await ReadTextAsync(socket));
        Assert.Equal($$$"""["1","1","realtime:{{{RoomA}}}","phx_close",{}]""", await ReadTextAsync(socket));
    }

    [Fact]
    public async Task Broadcast_PrivateWithoutWritePolicy_DroppedSilentlyEvenWithAck()
    {
        var lobby = "lobby-" + Guid.NewGuid().ToString("N")[..8];
        await using var sender = await ConnectAsync(TokenA);
        await using var listener = await ConnectAsync(TokenB);
        await JoinAsync(listener, lobby, """{"private":true}""");
        await JoinAsync(sender, lobby, """{"private":true,"broadcast":{"self":true,"ack":true}}""");

        await sender.SendTextAsync($$$"""["1","2","realtime:{{{lobby}}}","broadcast",{"type":"broadcast","event":"e","payload":{}}]""");
        await sender.SendTextAsync("""[null,"3","phoenix","heartbeat",{}]""");

        // Neither the ack nor the self echo: the next frame is the heartbeat's answer.
        Assert.Equal("""[null,"3","phoenix","phx_reply",{"status":"ok","response":{}}]""", await ReadTextAsync(sender));
        await listener.SendTextAsync("""[null,"4","phoenix","heartbeat",{}]""");
        Assert.Equal("""[null,"4","phoenix","phx_reply",{"status":"ok","response":{}}]""", await ReadTextAsync(listener));
        Assert.Matches(@"(?m)^madbase_realtime_unauthorized_drops_total [1-9]", await server.Edge.Http.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task Presence_PrivateWithoutWritePolicy_TrackRepliesError()
    {
        var lobby = "lobby-" + Guid.NewGuid().ToString("N")[..8];
        await using var socket = await ConnectAsync(TokenA);
        await JoinAsync(socket, lobby, """{"private":true,"presence":{"key":"a","enabled":true}}""");
        Assert.Equal($$$"""["1",null,"realtime:{{{lobby}}}","presence_state",{}]""", await socket.ReadTextContainingAsync("presence_state", s_timeout));

        await socket.SendTextAsync($$$"""["1","5","realtime:{{{lobby}}}","presence",{"type":"presence","event":"track","payload":{"x":1}}]""");

        Assert.Equal($$$"""["1","5","realtime:{{{lobby}}}","phx_reply",{"status":"error","response":{}}]""", await socket.ReadTextContainingAsync("phx_reply", s_timeout));
    }

    [Fact]
    public async Task Presence_PrivateTrackWithPresenceOffAtJoin_ChecksReadAndWriteThenDiffs()
    {
        await using var socket = await ConnectAsync(TokenA);
        await JoinAsync(socket, RoomA, """{"private":true}""");

        await socket.SendTextAsync($$$"""["1","5","realtime:{{{RoomA}}}","presence",{"type":"presence","event":"track","payload":{"x":1}}]""");

        Assert.Equal($$$"""["1","5","realtime:{{{RoomA}}}","phx_reply",{"status":"ok","response":{}}]""", await socket.ReadTextContainingAsync("phx_reply", s_timeout));
        Assert.Contains("\"joins\":{", await socket.ReadTextContainingAsync("presence_diff", s_timeout), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccessToken_PrivateChannelKeepsThenLosesRead_StaysThenClosed()
    {
        await using var socket = await ConnectAsync(Tokens.Anon);
        await JoinAsync(socket, RoomA, $$$"""{"private":true,"broadcast":{"self":true}},"access_token":"{{{TokenA}}}" """);

        // Another token of the same user: still readable, the channel stays and keeps working.
        var again = Tokens.Create("authenticated", PrivateChannelServerFixture.UserA.ToString(), expiresAt: DateTimeOffset.UtcNow.AddHours(2));
        await socket.SendTextAsync($$$"""["1","2","realtime:{{{RoomA}}}","access_token",{"access_token":"{{{again}}}"}]""");
        await socket.SendTextAsync($$$"""["1","3","realtime:{{{RoomA}}}","broadcast",{"type":"broadcast","event":"e","payload":{"still":"here"}}]""");
        Assert.Equal($$$"""[null,null,"realtime:{{{RoomA}}}","broadcast",{"type":"broadcast","event":"e","payload":{"still":"here"}}]""", await ReadTextAsync(socket));

        // User B's token cannot read room A: system error, then phx_close.
        await socket.SendTextAsync($$$"""["1","4","realtime:{{{RoomA}}}","access_token",{"access_token":"{{{TokenB}}}"}]""");
        Assert.Equal(
            $$$"""["1",null,"realtime:{{{RoomA}}}","system",{"extension":"system","status":"error","message":"You no longer have permission to read from this Channel topic: {{{RoomA}}}","channel":"{{{RoomA}}}"}]""",
            await ReadTextAsync(socket));
        Assert.Equal($$$"""["1","1","realtime:{{{RoomA}}}","phx_close",{}]""", await ReadTextAsync(socket));
    }

    [Fact]
    public async Task Broadcast_PrivateAndPublicSameName_NeverCross()
    {
        await using var privateSocket = await ConnectAsync(TokenA);
        await using var publicSocket = await ConnectAsync(TokenA);
        await JoinAsync(privateSocket, RoomA, """{"private":true,"broadcast":{"self":true}}""");
        await JoinAsync(publicSocket, RoomA, """{"broadcast":{"self":true}}""");

        await publicSocket.SendTextAsync($$$"""["1","2","realtime:{{{RoomA}}}","broadcast",{"type":"broadcast","event":"e","payload":{"from":"public"}}]""");
        await privateSocket.SendTextAsync($$$"""["1","2","realtime:{{{RoomA}}}","broadcast",{"type":"broadcast","event":"e","payload":{"from":"private"}}]""");

        Assert.Contains("\"from\":\"public\"", await ReadTextAsync(publicSocket), StringComparison.Ordinal);
        Assert.Contains("\"from\":\"private\"", await ReadTextAsync(privateSocket), StringComparison.Ordinal);
        foreach (var socket in new[] { privateSocket, publicSocket })
        {
            await socket.SendTextAsync("""[null,"9","phoenix","heartbeat",{}]""");
            Assert.Equal("""[null,"9","phoenix","phx_reply",{"status":"ok","response":{}}]""", await ReadTextAsync(socket));
        }
    }

    [Fact]
    public async Task RestBroadcast_PrivateTopic_DeliveredOnlyWhenInsertPolicyAllows()
    {
        await using var listener = await ConnectAsync(TokenA);
        await JoinAsync(listener, RoomA, """{"private":true}""");

        Assert.Equal(HttpStatusCode.Accepted, await PostBatchAsync(TokenB, RoomA, "fromB"));
        Assert.Equal(HttpStatusCode.Forbidden, await PostEventAsync(TokenB, RoomA, "fromB"));
        Assert.Equal(HttpStatusCode.Accepted, await PostBatchAsync(TokenA, RoomA, "batchA"));
        Assert.Equal(HttpStatusCode.Accepted, await PostEventAsync(TokenA, RoomA, "eventA"));
        Assert.Equal(HttpStatusCode.Accepted, await PostEventAsync(Tokens.ServiceRole, RoomA, "service"));

        // B's messages never arrive: the first three broadcasts are A's two and the service_role one, in order.
        Assert.Contains("\"event\":\"batchA\"", await ReadTextAsync(listener), StringComparison.Ordinal);
        Assert.Contains("\"event\":\"eventA\"", await ReadTextAsync(listener), StringComparison.Ordinal);
        Assert.Contains("\"event\":\"service\"", await ReadTextAsync(listener), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PolicyChecks_AfterJoinsAndSends_LeaveNoRowsBehind()
    {
        await using var socket = await ConnectAsync(TokenA);
        await JoinAsync(socket, RoomA, """{"private":true,"presence":{"key":"k"},"broadcast":{"ack":true}}""");
        await socket.SendTextAsync($$$"""["1","2","realtime:{{{RoomA}}}","broadcast",{"type":"broadcast","event":"e","payload":{}}]""");
        await socket.ReadTextContainingAsync("phx_reply", s_timeout);

        Assert.Equal(0L, await server.ScalarAsync("select count(*) from realtime.messages where extension in ('broadcast', 'presence') and payload is null and binary_payload is null"));
        Assert.Matches(PolicyChecksMetric(), await server.Edge.Http.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task RealtimeSend_PrivateAndPublicRows_DeliveredToTheirTopicWithMetaId()
    {
        await server.WaitForStreamingAsync();
        await using var privateSocket = await ConnectAsync(TokenA);
        await using var publicSocket = await ConnectAsync(TokenA);
        await JoinAsync(privateSocket, RoomA, """{"private":true}""");
        await JoinAsync(publicSocket, RoomA, "{}");

        await server.ExecuteAsync($"select realtime.send('{{\"n\":1}}', 'db', '{RoomA}')");
        await server.ExecuteAsync($"select realtime.send('{{\"n\":2}}', 'db', '{RoomA}', false)");

        var privateFrame = await ReadTextAsync(privateSocket);
        var id = (string)(await server.ScalarAsync($"select id::text from realtime.messages where topic = '{RoomA}' and private"))!;
        Assert.Equal($$$"""[null,null,"realtime:{{{RoomA}}}","broadcast",{"type":"broadcast","event":"db","payload":{"n": 1, "id": "{{{id}}}"},"meta":{"id":"{{{id}}}"}}]""", privateFrame);
        Assert.Contains("\"payload\":{\"n\": 2,", await ReadTextAsync(publicSocket), StringComparison.Ordinal);
        foreach (var socket in new[] { privateSocket, publicSocket })
        {
            await socket.SendTextAsync("""[null,"9","phoenix","heartbeat",{}]""");
            Assert.Equal("""[null,"9","phoenix","phx_reply",{"status":"ok","response":{}}]""", await ReadTextAsync(socket));
        }
    }

    /// <summary>
    /// A binary frame carries an event of at most 255 bytes. Building one for a longer <c>realtime.send_binary</c> event
    /// threw in the change router, which retries a failed change forever: nothing reached anyone on the node after it.
    /// </summary>
    [Fact]
    public async Task SendBinary_EventLongerThanAFrameCarries_CountedNotSent_AndWhatFollowsIsDelivered()
    {
        await server.WaitForStreamingAsync();
        await using var socket = await ConnectAsync(TokenA);
        await JoinAsync(socket, RoomA, "{}");

        await server.ExecuteAsync($"select realtime.send_binary('\\x01'::bytea, repeat('e', 300), '{RoomA}', false)");
        await server.ExecuteAsync($"select realtime.send('{{\"n\":3}}', 'after', '{RoomA}', false)");

        Assert.Contains("\"event\":\"after\"", await ReadTextAsync(socket), StringComparison.Ordinal);
        Assert.Matches(@"(?m)^madbase_realtime_broadcasts_unsendable_total 1$", await server.Edge.Http.GetStringAsync("/metrics"));
    }

    /// <summary>
    /// A write-policy check that meets a transient database error (the INSERT policy's first evaluation raises SQLSTATE
    /// 53300) was cached as a denial until the next token: every send of the channel dropped, untold, even with ack.
    /// The channel cannot be served now, so it is closed and its client told (upstream's reason).
    /// </summary>
    [Fact]
    public async Task Broadcast_WriteCheckMeetsATransientError_ClientToldNotDeniedForTheTokensLife()
    {
        await server.ExecuteAsync(TestSql.FailsOnceFunction("fails_first_write", "authenticated") + """
            create policy flaky_read on realtime.messages for select to authenticated using (realtime.topic() = 'flaky-room');
            create policy flaky_write on realtime.messages for insert to authenticated
              with check (realtime.topic() = 'flaky-room' and public.fails_first_write());
            """);
        await using var socket = await ConnectAsync(TokenA);
        await JoinAsync(socket, "flaky-room", """{"private":true,"broadcast":{"ack":true}}""");

        await socket.SendTextAsync("""["1","2","realtime:flaky-room","broadcast",{"type":"broadcast","event":"e","payload":{}}]""");

        Assert.Contains("unable to connect to the project database", await socket.ReadTextContainingAsync("system", s_timeout), StringComparison.Ordinal);
        Assert.Contains("phx_close", await socket.ReadTextContainingAsync("phx_close", s_timeout), StringComparison.Ordinal);
    }

    [GeneratedRegex(@"(?m)^madbase_realtime_policy_checks_total [1-9]")]
    private static partial Regex PolicyChecksMetric();

    private Task<RawWebSocket> ConnectAsync(string token) =>
        RawWebSocket.ConnectAsync(server.Edge.Port, $"/realtime/v1/websocket?apikey={token}&vsn=2.0.0");

    private static async Task JoinAsync(RawWebSocket socket, string name, string config)
    {
        await socket.SendTextAsync($$$"""["1","1","realtime:{{{name}}}","phx_join",{"config":{{{config}}}}]""");
        var reply = await socket.ReadTextContainingAsync("phx_reply", s_timeout);
        Assert.Contains("\"status\":\"ok\"", reply, StringComparison.Ordinal);
    }

    private static async Task<string> ReadTextAsync(RawWebSocket socket)
    {
        var frame = await socket.ReadFrameAsync(s_timeout) ?? throw new TimeoutException("no frame");
        return Encoding.UTF8.GetString(frame.Payload);
    }

    private async Task<HttpStatusCode> PostBatchAsync(string token, string topic, string eventName)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/realtime/v1/api/broadcast")
        {
            Content = new StringContent($$$"""{"messages":[{"topic":"{{{topic}}}","event":"{{{eventName}}}","payload":{},"private":true}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return (await server.Edge.Http.SendAsync(request)).StatusCode;
    }

    private async Task<HttpStatusCode> PostEventAsync(string token, string topic, string eventName)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/realtime/v1/api/broadcast/{topic}/events/{eventName}?private=true")
        {
            Content = new StringContent("{}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return (await server.Edge.Http.SendAsync(request)).StatusCode;
    }
}
