using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>A server with small per-socket rates (5 events/s, 4,096 bytes/s, 3 joins/s), so shedding is quick to reach.</summary>
public sealed class RateLimitedRealtimeFixture : IAsyncLifetime
{
    public const int EventsPerSecond = 5;

    public const int BytesPerSecond = 4096;

    public const int JoinsPerSecond = 3;

    internal EdgeProcess Edge { get; private set; } = null!;

    private string Database { get; set; } = "";

    private string Slot { get; } = RealtimeServerFixture.NewSlotName();

    public async ValueTask InitializeAsync() => (Database, Edge) = await RealtimeServerFixture.StartEdgeAsync(Slot, env =>
    {
        env["MADBASE_REALTIME_MAX_EVENTS_PER_SECOND"] = EventsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["MADBASE_REALTIME_MAX_JOINS_PER_SECOND"] = JoinsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["MADBASE_REALTIME_MAX_BYTES_PER_SECOND"] = BytesPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture);
    });

    public async ValueTask DisposeAsync() => await RealtimeServerFixture.StopEdgeAsync(Edge, Database, Slot);
}

/// <summary>Per-socket rate limits: only the noisy sender's pushes are shed, with error replies; others are untouched.</summary>
public sealed class RealtimeRateLimitTests(RateLimitedRealtimeFixture server) : IClassFixture<RateLimitedRealtimeFixture>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    private string Path => $"/realtime/v1/websocket?apikey={Tokens.Anon}&vsn=2.0.0";

    [Fact]
    public async Task Broadcast_OverEventRate_ShedWithErrorRepliesAndNotDelivered()
    {
        await using var sender = await RawWebSocket.ConnectAsync(server.Edge.Port, Path);
        await using var listener = await RawWebSocket.ConnectAsync(server.Edge.Port, Path);
        await listener.SendTextAsync("""["1","1","realtime:rl","phx_join",{"config":{"broadcast":{"self":false,"ack":false}}}]""");
        await listener.ReadTextContainingAsync("phx_reply", s_timeout);
        await sender.SendTextAsync("""["1","1","realtime:rl","phx_join",{"config":{"broadcast":{"self":false,"ack":true}}}]""");
        await sender.ReadTextContainingAsync("phx_reply", s_timeout);
        await Task.Delay(1100); // the join took no event token, but start from a full bucket anyway

        const int Pushes = 20;
        for (var i = 0; i < Pushes; i++)
        {
            await sender.SendTextAsync($$$"""["1","{{{100 + i}}}","realtime:rl","broadcast",{"type":"broadcast","event":"e","payload":{"n":{{{i}}}}}]""");
        }

        var (ok, shed) = await CountRepliesAsync(sender, Pushes, "Too many messages per second");

        Assert.InRange(ok, RateLimitedRealtimeFixture.EventsPerSecond, RateLimitedRealtimeFixture.EventsPerSecond + 2);
        Assert.Equal(Pushes - ok, shed);
        for (var i = 0; i < ok; i++)
        {
            await listener.ReadTextContainingAsync("\"broadcast\"", s_timeout);
        }

        // Nothing shed was delivered: the next read times out.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => listener.ReadFrameAsync(TimeSpan.FromMilliseconds(500)));

        await Task.Delay(1100); // the bucket refills: the sender is not punished beyond its rate
        await sender.SendTextAsync("""["1","200","realtime:rl","broadcast",{"type":"broadcast","event":"e","payload":{}}]""");
        Assert.Contains("\"status\":\"ok\"", await sender.ReadTextContainingAsync("phx_reply", s_timeout), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Join_OverJoinRate_RefusedWithClientJoinRateLimitReached()
    {
        await using var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, Path);
        await Task.Delay(1100);

        const int Joins = 8;
        for (var i = 0; i < Joins; i++)
        {
            await socket.SendTextAsync($$$"""["{{{i}}}","{{{i}}}","realtime:room{{{i}}}","phx_join",{"config":{}}]""");
        }

        var (ok, refused) = await CountRepliesAsync(socket, Joins, "ClientJoinRateLimitReached");

        Assert.InRange(ok, RateLimitedRealtimeFixture.JoinsPerSecond, RateLimitedRealtimeFixture.JoinsPerSecond + 1);
        Assert.Equal(Joins - ok, refused);
    }

    /// <summary>
    /// Issue 15's bytes/s limit on raw frames: 1,500-byte pushes, 4,096 bytes a second, so the first two pass and
    /// the rest get "Too many bytes per second" replies, the channel one <c>system</c> error, the listener nothing shed;
    /// a second channel of the same socket flooded within the same second is told too (the notice is per channel).
    /// </summary>
    [Fact]
    public async Task Broadcast_OverByteRate_ShedWithReplyAndOneSystemErrorPerChannel()
    {
        await using var sender = await RawWebSocket.ConnectAsync(server.Edge.Port, Path);
        await using var listener = await RawWebSocket.ConnectAsync(server.Edge.Port, Path);
        await listener.SendTextAsync("""["1","1","realtime:bytes","phx_join",{"config":{"broadcast":{"self":false}}}]""");
        await listener.ReadTextContainingAsync("phx_reply", s_timeout);
        await sender.SendTextAsync("""["1","1","realtime:bytes","phx_join",{"config":{"broadcast":{"self":false,"ack":true}}}]""");
        await sender.ReadTextContainingAsync("phx_reply", s_timeout);
        await sender.SendTextAsync("""["2","2","realtime:bytes-other","phx_join",{"config":{"broadcast":{"self":false,"ack":true}}}]""");
        await sender.ReadTextContainingAsync("phx_reply", s_timeout);
        await Task.Delay(1100);

        var big = new string('x', 1400);
        const int Pushes = 4; // 4 x ~1,480 bytes, all inside the events limit (5/s)
        for (var i = 0; i < Pushes; i++)
        {
            await sender.SendTextAsync($$$"""["1","{{{100 + i}}}","realtime:bytes","broadcast",{"type":"broadcast","event":"e","payload":{"n":{{{i}}},"big":"{{{big}}}"}}]""");
        }

        await sender.SendTextAsync($$$"""["2","200","realtime:bytes-other","broadcast",{"type":"broadcast","event":"e","payload":{"big":"{{{big}}}"}}]""");

        var frames = new List<string>();
        while (frames.Count(f => f.Contains("phx_reply", StringComparison.Ordinal)) < Pushes + 1
               || !frames.Any(f => f.Contains("\"system\"", StringComparison.Ordinal) && f.Contains("realtime:bytes-other", StringComparison.Ordinal)))
        {
            if (await sender.ReadFrameAsync(s_timeout) is { Opcode: WebSocketOpcode.Text } frame)
            {
                frames.Add(Encoding.UTF8.GetString(frame.Payload));
            }
        }

        var replies = frames.Where(f => f.Contains("phx_reply", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, replies.Count(r => r.Contains("\"status\":\"ok\"", StringComparison.Ordinal)));
        Assert.All(replies.Where(r => !r.Contains("\"status\":\"ok\"", StringComparison.Ordinal)), r => Assert.Contains("Too many bytes per second", r, StringComparison.Ordinal));
        Assert.Equal(3, replies.Count(r => r.Contains("Too many bytes per second", StringComparison.Ordinal)));
        foreach (var topic in new[] { "realtime:bytes\"", "realtime:bytes-other\"" })
        {
            var told = Assert.Single(frames, f => f.Contains("\"system\"", StringComparison.Ordinal) && f.Contains(topic, StringComparison.Ordinal));
            Assert.Contains("\"status\":\"error\"", told, StringComparison.Ordinal);
            Assert.Contains("\"message\":\"Too many bytes per second\"", told, StringComparison.Ordinal);
        }

        await listener.ReadTextContainingAsync("\"n\":0", s_timeout);
        await listener.ReadTextContainingAsync("\"n\":1", s_timeout);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => listener.ReadFrameAsync(TimeSpan.FromMilliseconds(500)));
        Assert.Matches("""(?m)^madbase_realtime_rate_limited_total\{kind="bytes"\} [1-9]""", await server.Edge.Http.GetStringAsync("/metrics"));
    }

    /// <summary>
    /// The same limit through supabase-js: the client over it gets <c>send()</c> errors and a <c>system</c> error on
    /// its channel, which stays joined; a client under it on the same topic gets neither.
    /// </summary>
    [Fact]
    public async Task SupabaseJs_OverByteRate_ToldAndUnderItNot()
    {
        var env = new Dictionary<string, string>
        {
            ["EDGE_URL"] = server.Edge.BaseUri.ToString().TrimEnd('/'),
            ["EDGE_ANON_KEY"] = Tokens.Anon,
        };

        var result = (await NodeScript.RunAsync("realtime-bytes-limit.mjs", env, TimeSpan.FromSeconds(60))).Json;

        Assert.All(result.GetProperty("joins").EnumerateArray(), j => Assert.Equal("SUBSCRIBED", j.GetString()));
        var heavy = result.GetProperty("heavyResults").EnumerateArray().Select(r => r.GetString()).ToArray();
        Assert.InRange(heavy.Count(r => r == "ok"), 1, 3); // ~1.55 KB each against 4,096 bytes/s
        Assert.Contains("error", heavy);
        Assert.All(result.GetProperty("lightResults").EnumerateArray(), r => Assert.Equal("ok", r.GetString()));
        Assert.Equal(heavy.Count(r => r == "ok"), result.GetProperty("received").GetProperty("heavy").GetInt32());
        Assert.Equal(5, result.GetProperty("received").GetProperty("light").GetInt32());
        var told = Assert.Single(result.GetProperty("system").GetProperty("heavy").EnumerateArray());
        Assert.Equal("error", told.GetProperty("status").GetString());
        Assert.Equal("Too many bytes per second", told.GetProperty("message").GetString());
        Assert.Empty(result.GetProperty("system").GetProperty("light").EnumerateArray());
        Assert.Equal("joined", result.GetProperty("heavyState").GetString());
    }

    /// <summary>Reads <paramref name="replies"/> phx_replies: (ok, errors), every error carrying <paramref name="reason"/>.</summary>
    private static async Task<(int Ok, int Errors)> CountRepliesAsync(RawWebSocket socket, int replies, string reason)
    {
        int ok = 0, errors = 0;
        for (var i = 0; i < replies; i++)
        {
            var reply = await socket.ReadTextContainingAsync("phx_reply", s_timeout);
            if (reply.Contains("\"status\":\"ok\"", StringComparison.Ordinal))
            {
                ok++;
            }
            else
            {
                Assert.Contains(reason, reply, StringComparison.Ordinal);
                errors++;
            }
        }

        return (ok, errors);
    }
}
