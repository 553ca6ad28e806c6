using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>The raw WebSocket layer against the published binary: handshake, control frames, RFC 6455 failures.</summary>
public sealed class RealtimeSocketTests(RealtimeServerFixture server) : IClassFixture<RealtimeServerFixture>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    private string Path(string? token = null, string vsn = "2.0.0") => $"/realtime/v1/websocket?apikey={token ?? Tokens.Anon}&vsn={vsn}";

    [Fact]
    public async Task Upgrade_ValidAnonKey_Returns101WithAcceptHeader()
    {
        const string key = "dGhlIHNhbXBsZSBub25jZQ==";
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path(), key);

        Assert.Equal(101, socket.StatusCode);
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", socket.ResponseHead, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", RawWebSocket.ExpectedAccept(key));
    }

    [Fact]
    public async Task Upgrade_SocketPathAlias_Returns101()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, $"/socket/websocket?apikey={Tokens.Anon}&vsn=1.0.0");
        Assert.Equal(101, socket.StatusCode);
    }

    [Fact]
    public async Task Upgrade_BadSignature_Returns401BeforeUpgrading()
    {
        var forged = Tokens.Create("anon", secret: "another-secret-another-secret-0123456789");
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path(forged));
        Assert.Equal(401, socket.StatusCode);
    }

    [Fact]
    public async Task Upgrade_ExpiredToken_Returns401()
    {
        var expired = Tokens.Create("anon", expiresAt: DateTimeOffset.UtcNow.AddMinutes(-5));
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path(expired));
        Assert.Equal(401, socket.StatusCode);
    }

    [Fact]
    public async Task Upgrade_WrongWebSocketVersion_Returns426()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path(), version: "8");
        Assert.Equal(426, socket.StatusCode);
        Assert.Contains("Sec-WebSocket-Version: 13", socket.ResponseHead, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Upgrade_BadKey_Returns400()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path(), key: "not-a-key");
        Assert.Equal(400, socket.StatusCode);
    }

    [Fact]
    public async Task Heartbeat_V2_RepliesOkWithSameRef()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path());
        await socket.SendTextAsync("""[null,"11","phoenix","heartbeat",{}]""");
        var reply = await socket.ReadTextContainingAsync("phx_reply", s_timeout);
        Assert.Equal("""[null,"11","phoenix","phx_reply",{"status":"ok","response":{}}]""", reply);
    }

    [Fact]
    public async Task Heartbeat_V1_RepliesOkObject()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path(vsn: "1.0.0"));
        await socket.SendTextAsync("""{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"3"}""");
        var reply = await socket.ReadTextContainingAsync("phx_reply", s_timeout);
        Assert.Equal("""{"topic":"phoenix","event":"phx_reply","ref":"3","payload":{"status":"ok","response":{}}}""", reply);
    }

    [Fact]
    public async Task Heartbeat_FragmentedAcrossThreeFrames_ReassembledAndAnswered()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path());
        var bytes = Encoding.UTF8.GetBytes("""[null,"5","phoenix","heartbeat",{}]""");
        await socket.SendFrameAsync(WebSocketOpcode.Text, bytes.AsMemory(0, 7), fin: false);
        await socket.SendFrameAsync(WebSocketOpcode.Ping, "p"u8.ToArray());
        await socket.SendFrameAsync(WebSocketOpcode.Continuation, bytes.AsMemory(7, 10), fin: false);
        await socket.SendFrameAsync(WebSocketOpcode.Continuation, bytes.AsMemory(17), fin: true);
        var reply = await socket.ReadTextContainingAsync("phx_reply", s_timeout);
        Assert.Contains("\"5\"", reply, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ping_WithPayload_AnswersPongWithSamePayload()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path());
        await socket.SendFrameAsync(WebSocketOpcode.Ping, "hello"u8.ToArray());
        var frame = await socket.ReadFrameAsync(s_timeout);
        Assert.Equal(WebSocketOpcode.Pong, frame?.Opcode);
        Assert.Equal("hello", Encoding.ASCII.GetString(frame!.Value.Payload));
    }

    [Fact]
    public async Task UnmaskedFrame_FromClient_ClosesWith1002()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path());
        await socket.SendFrameAsync(WebSocketOpcode.Text, "[]"u8.ToArray(), masked: false);
        Assert.Equal(WebSocketCloseStatus.ProtocolError, await socket.ReadCloseCodeAsync(s_timeout));
    }

    [Fact]
    public async Task ControlFrame_Over125Bytes_ClosesWith1002()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path());
        await socket.SendFrameAsync(WebSocketOpcode.Ping, new byte[126]);
        Assert.Equal(WebSocketCloseStatus.ProtocolError, await socket.ReadCloseCodeAsync(s_timeout));
    }

    [Fact]
    public async Task TextFrame_InvalidUtf8_ClosesWith1007()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path());
        await socket.SendFrameAsync(WebSocketOpcode.Text, new byte[] { (byte)'[', 0xC3, 0x28, (byte)']' });
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, await socket.ReadCloseCodeAsync(s_timeout));
    }

    [Fact]
    public async Task Message_OverConfiguredLimit_ClosesWith1009()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path());
        await socket.SendFrameAsync(WebSocketOpcode.Binary, new byte[RealtimeServerFixture.MaxMessageBytes + 1]);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await socket.ReadCloseCodeAsync(s_timeout));
    }

    [Fact]
    public async Task Close_WithStatus_EchoesStatusAndClosesTcp()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path());
        await socket.SendFrameAsync(WebSocketOpcode.Close, new byte[] { 0x0B, 0xB8 }); // 3000
        Assert.Equal(3000, await socket.ReadCloseCodeAsync(s_timeout));
        Assert.Null(await socket.ReadFrameAsync(s_timeout));
    }

    [Fact]
    public async Task MalformedPhoenixJson_IsDropped_SocketStaysUsable()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path());
        await socket.SendTextAsync("{not json");
        await socket.SendTextAsync("""[null,"8","phoenix","heartbeat",{}]""");
        Assert.Contains("\"8\"", await socket.ReadTextContainingAsync("phx_reply", s_timeout), StringComparison.Ordinal);
    }

    /// <summary>Fuzz finding: the escaped lone surrogate was accepted by the codec and then closed the socket with 1011.</summary>
    [Fact]
    public async Task PhoenixFrame_EscapedLoneSurrogateInTopic_DroppedSocketStaysUsable()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path());
        await socket.SendTextAsync("""["1","2","realtime:\ud800","phx_join",{"config":{}}]""");
        await socket.SendTextAsync("""[null,"8","phoenix","heartbeat",{}]""");
        Assert.Equal("""[null,"8","phoenix","phx_reply",{"status":"ok","response":{}}]""", await socket.ReadTextContainingAsync("phx_reply", s_timeout));
    }

    /// <summary>Fuzz finding: a postgres_changes entry with an escaped lone surrogate closed the socket with 1011.</summary>
    [Fact]
    public async Task Join_PostgresChangesWithLoneSurrogate_StaysJoinedWithSystemError()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path());
        await socket.SendTextAsync("""["1","1","realtime:sur","phx_join",{"config":{"postgres_changes":[{"event":"*","schema":"public","table":"\udc00"}]}}]""");
        Assert.Contains("\"status\":\"ok\"", await socket.ReadTextContainingAsync("phx_reply", s_timeout), StringComparison.Ordinal);
        Assert.Contains("malformed postgres_changes entry", await socket.ReadTextContainingAsync("system", s_timeout), StringComparison.Ordinal);
    }

    /// <summary>Fuzz finding: a token character outside base64url made the JWT check throw instead of refusing.</summary>
    [Theory]
    [InlineData("ab!c.def.ghi")]
    [InlineData("a+b/.c.d")]
    public async Task Upgrade_TokenWithCharacterOutsideBase64Url_Returns401(string token)
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path(token));
        Assert.Equal(401, socket.StatusCode);
    }

    [Fact]
    public async Task Push_ToUnjoinedTopic_RepliesUnmatchedTopic()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path());
        await socket.SendTextAsync("""["1","2","realtime:nowhere","broadcast",{"type":"broadcast","event":"x","payload":{}}]""");
        var reply = await socket.ReadTextContainingAsync("phx_reply", s_timeout);
        Assert.Equal("""["1","2","realtime:nowhere","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]""", reply);
    }

    [Fact]
    public async Task Idle_NoFramesPastTimeout_ClosedByServer()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path());
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await socket.ReadCloseCodeAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task Join_WithPostgresChanges_RepliesBindingsWithIdsThenSystemOk()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path());
        await socket.SendTextAsync("""["6","6","realtime:room1","phx_join",{"config":{"broadcast":{"self":true,"ack":true},"presence":{"key":"user-1","enabled":true},"postgres_changes":[{"event":"INSERT","schema":"public","table":"todos","filter":"id=eq.1"},{"event":"*","schema":"public","table":"todos"}],"private":false}}]""");
        var reply = await socket.ReadTextContainingAsync("phx_reply", s_timeout);
        Assert.Matches("""^\["6","6","realtime:room1","phx_reply",\{"status":"ok","response":\{"postgres_changes":\[\{"event":"INSERT","schema":"public","table":"todos","filter":"id=eq.1","id":\d+\},\{"event":"\*","schema":"public","table":"todos","id":\d+\}\]\}\}\]$""", reply);
        var system = await socket.ReadTextContainingAsync("system", s_timeout);
        Assert.Equal("""["6",null,"realtime:room1","system",{"extension":"postgres_changes","status":"ok","message":"Subscribed to PostgreSQL","channel":"room1"}]""", system);
        Assert.StartsWith("""["6",null,"realtime:room1","presence_state",{""", await socket.ReadTextContainingAsync("presence_state", s_timeout), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Join_BadFilter_StaysJoinedWithSystemError()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path());
        await socket.SendTextAsync("""["1","1","realtime:f","phx_join",{"config":{"postgres_changes":[{"event":"*","schema":"public","table":"t","filter":"id=zz.x"}]}}]""");
        Assert.Contains("\"status\":\"ok\"", await socket.ReadTextContainingAsync("phx_reply", s_timeout), StringComparison.Ordinal);
        Assert.Contains("Error parsing `filter` params", await socket.ReadTextContainingAsync("system", s_timeout), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Join_MatchIMatchIsDistinctFilters_SubscribedToPostgres()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path());
        await socket.SendTextAsync("""["1","1","realtime:rx","phx_join",{"config":{"postgres_changes":[{"event":"*","schema":"public","table":"t","filter":"title=match.^b[0-9]+$"},{"event":"*","schema":"public","table":"t","filter":"title=imatch.^b\\d"},{"event":"*","schema":"public","table":"t","filter":"title=not.isdistinct.a"}]}}]""");
        Assert.Contains("\"status\":\"ok\"", await socket.ReadTextContainingAsync("phx_reply", s_timeout), StringComparison.Ordinal);
        Assert.Equal("""["1",null,"realtime:rx","system",{"extension":"postgres_changes","status":"ok","message":"Subscribed to PostgreSQL","channel":"rx"}]""", await socket.ReadTextContainingAsync("system", s_timeout));
    }

    [Fact]
    public async Task Join_UnsupportedMatchPattern_StaysJoinedWithSystemError()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path());
        await socket.SendTextAsync("""["1","1","realtime:rxbad","phx_join",{"config":{"postgres_changes":[{"event":"*","schema":"public","table":"t","filter":"title=match.(a)\\1"}]}}]""");
        Assert.Contains("\"status\":\"ok\"", await socket.ReadTextContainingAsync("phx_reply", s_timeout), StringComparison.Ordinal);
        var system = await socket.ReadTextContainingAsync("system", s_timeout);
        Assert.Contains("\"status\":\"error\"", system, StringComparison.Ordinal);
        Assert.Contains("Error parsing `filter` params: title=match.(a)\\\\1 (unsupported regular expression: ", system, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Leave_JoinedChannel_RepliesOkThenPhxClose()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path());
        await socket.SendTextAsync("""["3","3","realtime:l","phx_join",{"config":{}}]""");
        await socket.ReadTextContainingAsync("phx_reply", s_timeout);
        await socket.SendTextAsync("""["3","4","realtime:l","phx_leave",{}]""");
        Assert.Equal("""["3","4","realtime:l","phx_reply",{"status":"ok","response":{}}]""", await socket.ReadTextContainingAsync("phx_reply", s_timeout));
        Assert.Equal("""["3","3","realtime:l","phx_close",{}]""", await socket.ReadTextContainingAsync("phx_close", s_timeout));
    }

    [Fact]
    public async Task BinaryBroadcast_SelfAndAck_EchoesKind4AndAcks()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path());
        await socket.SendTextAsync("""["6","6","realtime:room1b","phx_join",{"config":{"broadcast":{"self":true,"ack":true}}}]""");
        await socket.ReadTextContainingAsync("phx_reply", s_timeout);

        // docs/protocol/realtime.md §Captured exchange: kind 3, jr "6", ref "7", topic, event "cursor", no meta,
        // JSON {"x":1,"ü":"ü"}
        var push = Convert.FromHexString("0301010f060001" + "36" + "37" + Convert.ToHexString("realtime:room1b"u8) + Convert.ToHexString("cursor"u8) + "7b2278223a312c22c3bc223a22c3bc227d");
        await socket.SendFrameAsync(WebSocketOpcode.Binary, push);
        Assert.Equal("""["6","7","realtime:room1b","phx_reply",{"status":"ok","response":{}}]""", await socket.ReadTextContainingAsync("phx_reply", s_timeout));
        var echo = await socket.ReadFrameAsync(s_timeout);
        Assert.Equal(WebSocketOpcode.Binary, echo?.Opcode);
        Assert.Equal("040f0600017265616c74696d653a726f6f6d3162637572736f727b2278223a312c22c3bc223a22c3bc227d", Convert.ToHexString(echo!.Value.Payload).ToLowerInvariant());
    }

    [Fact]
    public async Task AccessToken_ExpiresWhileJoined_SystemErrorThenPhxClose()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path());
        var shortLived = Tokens.Create("authenticated", Guid.NewGuid().ToString(), expiresAt: DateTimeOffset.UtcNow.AddSeconds(2));
        await socket.SendTextAsync($$"""["4","4","realtime:exp","phx_join",{"config":{},"access_token":"{{shortLived}}"}]""");
        Assert.Contains("\"status\":\"ok\"", await socket.ReadTextContainingAsync("phx_reply", s_timeout), StringComparison.Ordinal);
        var heartbeats = Task.Run(async () =>
        {
            for (var i = 0; i < 8; i++)
            {
                await Task.Delay(1000);
                await socket.SendTextAsync("""[null,"9","phoenix","heartbeat",{}]""");
            }
        });

        var system = await socket.ReadTextContainingAsync("\"system\"", s_timeout);
        Assert.Matches("""^\["4",null,"realtime:exp","system",\{"extension":"system","status":"error","message":"Token has expired \d+ seconds ago","channel":"exp"\}\]$""", system);
        Assert.Equal("""["4","4","realtime:exp","phx_close",{}]""", await socket.ReadTextContainingAsync("phx_close", s_timeout));
        await heartbeats;
    }

    [Fact]
    public async Task Metrics_AfterSockets_ExposesRealtimeSeries()
    {
        await using (var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path()))
        {
            await socket.SendTextAsync("""[null,"1","phoenix","heartbeat",{}]""");
            await socket.ReadTextContainingAsync("phx_reply", s_timeout);
        }

        var text = await server.Edge.Http.GetStringAsync("/metrics");
        Assert.Matches(@"(?m)^madbase_realtime_connections_accepted_total [1-9]\d*", text);
        Assert.Matches(@"(?m)^madbase_realtime_connections \d+", text);
        Assert.Matches(@"(?m)^madbase_realtime_channels \d+", text);
        Assert.Matches(@"(?m)^madbase_realtime_outbound_dropped_total \d+", text);
        Assert.Matches(@"(?m)^madbase_realtime_slow_client_closes_total \d+", text);
        Assert.Matches(@"(?m)^madbase_realtime_deliveries_total\{kind=""postgres_changes""\} \d+", text);
    }
}
