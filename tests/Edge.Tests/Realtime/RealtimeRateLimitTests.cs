using MadBase.Edge.Tests.Infrastructure;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>A server with small per-socket rates (5 events/s, 3 joins/s), so shedding is quick to reach.</summary>
public sealed class RateLimitedRealtimeFixture : IAsyncLifetime
{
    public const int EventsPerSecond = 5;

    public const int JoinsPerSecond = 3;

    internal EdgeProcess Edge { get; private set; } = null!;

    private string Database { get; set; } = "";

    private string Slot { get; } = RealtimeServerFixture.NewSlotName();

    public async ValueTask InitializeAsync() => (Database, Edge) = await RealtimeServerFixture.StartEdgeAsync(Slot, env =>
    {
        env["MADBASE_REALTIME_MAX_EVENTS_PER_SECOND"] = EventsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["MADBASE_REALTIME_MAX_JOINS_PER_SECOND"] = JoinsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture);
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
