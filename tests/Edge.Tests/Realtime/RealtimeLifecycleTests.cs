using System.Text.RegularExpressions;
using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>Server-wide behaviour that needs its own process: shutdown and back-pressure.</summary>
public sealed class RealtimeLifecycleTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Sigterm_OpenSocket_ClosedWith1001ThenExitsZero()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        var slot = RealtimeServerFixture.NewSlotName();
        await using var edge = await EdgeProcess.StartAsync(database, env => env["MADBASE_SLOT"] = slot);
        await using var socket = await RawWebSocket.ConnectAsync(edge.Port, $"/realtime/v1/websocket?apikey={Tokens.Anon}&vsn=2.0.0");
        await socket.SendTextAsync("""["1","1","realtime:bye","phx_join",{"config":{}}]""");
        await socket.ReadTextContainingAsync("phx_reply", s_timeout);

        var stopping = edge.StopAsync(s_timeout);
        Assert.Equal(WebSocketCloseStatus.GoingAway, await socket.ReadCloseCodeAsync(s_timeout));
        await socket.SendFrameAsync(WebSocketOpcode.Close, new byte[] { 0x03, 0xE9 });
        Assert.Equal(0, await stopping);
        await RealtimeServerFixture.DropSlotAsync(database, slot);
    }

    [Fact]
    public async Task SlowClient_QueueFullPastGrace_Closed1008AndCounted()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        var slot = RealtimeServerFixture.NewSlotName();
        var edge = await EdgeProcess.StartAsync(database, env =>
        {
            env["MADBASE_SLOT"] = slot;
            env["MADBASE_REALTIME_OUTBOUND_QUEUE"] = "16";
            env["MADBASE_REALTIME_OUTBOUND_GRACE_MS"] = "200";
            env["MADBASE_REALTIME_MAX_EVENTS_PER_SECOND"] = "1000000"; // the flood below is the point, not shed
            env["MADBASE_REALTIME_MAX_BYTES_PER_SECOND"] = "1000000000";
        });
        try
        {
            var path = $"/realtime/v1/websocket?apikey={Tokens.Anon}&vsn=2.0.0";
            await using var slow = await RawWebSocket.ConnectAsync(edge.Port, path);
            await slow.SendTextAsync("""["1","1","realtime:flood","phx_join",{"config":{}}]""");
            await slow.ReadTextContainingAsync("phx_reply", s_timeout);
            await using var fast = await RawWebSocket.ConnectAsync(edge.Port, path);
            await fast.SendTextAsync("""["1","1","realtime:flood","phx_join",{"config":{}}]""");
            await fast.ReadTextContainingAsync("phx_reply", s_timeout);

            // The slow socket never reads: once the kernel buffers are full its queue fills and stays full.
            var filler = new string('x', 32 * 1024);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            var metrics = "";
            for (var i = 0; !Regex.IsMatch(metrics, @"(?m)^madbase_realtime_slow_client_closes_total [1-9]"); i++)
            {
                Assert.True(DateTime.UtcNow < deadline, "the slow client was never closed:\n" + metrics);
                await fast.SendTextAsync($$$"""["1","{{{i + 2}}}","realtime:flood","broadcast",{"type":"broadcast","event":"e","payload":{"n":{{{i}}},"pad":"{{{filler}}}"}}]""");
                if (i % 50 == 49)
                {
                    metrics = await edge.Http.GetStringAsync("/metrics");
                }
            }

            Assert.Matches(@"(?m)^madbase_realtime_outbound_dropped_total [1-9]", metrics);

            // The fast client is unaffected: it still gets answers.
            await fast.SendTextAsync("""[null,"hb","phoenix","heartbeat",{}]""");
            Assert.Contains("\"hb\"", await fast.ReadTextContainingAsync("\"hb\"", s_timeout), StringComparison.Ordinal);

            // The slow one ends: a 1008 Close after whatever was already in flight, or a dropped TCP connection.
            ushort? code = null;
            while (await slow.ReadFrameAsync(s_timeout) is { } frame)
            {
                if (frame.Opcode == WebSocketOpcode.Close)
                {
                    code = (ushort)((frame.Payload[0] << 8) | frame.Payload[1]);
                    break;
                }
            }

            Assert.True(code is null or WebSocketCloseStatus.PolicyViolation, $"unexpected close code {code}");
        }
        finally
        {
            await edge.DisposeAsync();
            await RealtimeServerFixture.DropSlotAsync(database, slot);
        }
    }
}
