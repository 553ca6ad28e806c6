using System.Text.Json;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>The real npm <c>@supabase/supabase-js</c> client against the published binary.</summary>
public sealed class RealtimeClientTests(RealtimeServerFixture server) : IClassFixture<RealtimeServerFixture>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    private Dictionary<string, string> Env() => new()
    {
        ["EDGE_URL"] = server.Edge.BaseUri.ToString().TrimEnd('/'),
        ["EDGE_ANON_KEY"] = Tokens.Anon,
    };

    [Fact]
    public async Task Broadcast_SelfAndAck_DeliveredPerConfig()
    {
        var result = (await NodeScript.RunAsync("realtime-broadcast.mjs", Env(), s_timeout)).Json;

        Assert.Equal("SUBSCRIBED", result.GetProperty("joinA").GetProperty("status").GetString());
        Assert.Equal("SUBSCRIBED", result.GetProperty("joinB").GetProperty("status").GetString());
        Assert.Equal("ok", result.GetProperty("ackA").GetString());
        Assert.Equal("ok", result.GetProperty("ackB").GetString());
        var atA = result.GetProperty("a").EnumerateArray().Select(p => p.GetProperty("from").GetString()).ToArray();
        var atB = result.GetProperty("b").EnumerateArray().Select(p => p.GetProperty("from").GetString()).ToArray();
        Assert.Equal(["a", "b"], atA);
        Assert.Equal(["a"], atB);
        Assert.Equal("grüße", result.GetProperty("b")[0].GetProperty("text").GetString());
    }

    /// <summary>Issue 15: <c>broadcast.replication_ready</c> gets upstream's system message once the stream is live.</summary>
    [Fact]
    public async Task ReplicationReady_Requested_SystemOkOnceStreamIsLive()
    {
        await server.Edge.WaitForStreamingAsync();
        var result = (await NodeScript.RunAsync("realtime-replication-ready.mjs", Env(), s_timeout)).Json;

        Assert.Equal("SUBSCRIBED", result.GetProperty("joinReady").GetString());
        Assert.Equal("SUBSCRIBED", result.GetProperty("joinPlain").GetString());
        var system = result.GetProperty("seen").GetProperty("ready").EnumerateArray().Single();
        Assert.Equal("system", system.GetProperty("extension").GetString());
        Assert.Equal("ok", system.GetProperty("status").GetString());
        Assert.Equal("Replication connection established", system.GetProperty("message").GetString());
        Assert.StartsWith("ready-", system.GetProperty("channel").GetString(), StringComparison.Ordinal);
        Assert.Empty(result.GetProperty("seen").GetProperty("plain").EnumerateArray());
        Assert.Equal("ok", result.GetProperty("sent").GetString());
        Assert.Equal(1, result.GetProperty("seen").GetProperty("echoes")[0].GetProperty("n").GetInt32());
    }

    [Fact]
    public async Task Presence_TrackAndLeave_SyncsStateAndReportsLeave()
    {
        var result = (await NodeScript.RunAsync("realtime-presence.mjs", Env(), s_timeout)).Json;

        Assert.Equal("ok", result.GetProperty("trackA").GetString());
        Assert.Equal("ok", result.GetProperty("trackB").GetString());
        Assert.Equal(["user-a", "user-b"], Strings(result.GetProperty("keysA")));
        Assert.Equal(["user-a", "user-b"], Strings(result.GetProperty("keysB")));
        Assert.Equal("bob", result.GetProperty("bobSeenByA").GetString());
        Assert.Contains("user-b", Strings(result.GetProperty("leaves")));
        Assert.Equal(["user-a"], Strings(result.GetProperty("afterLeave")));
    }

    [Fact]
    public async Task Join_ExpiredTokenOrForgedKey_ChannelError()
    {
        var env = Env();
        env["EDGE_EXPIRED_TOKEN"] = Tokens.Create("authenticated", Guid.NewGuid().ToString(), expiresAt: DateTimeOffset.UtcNow.AddMinutes(-10));
        env["EDGE_FORGED_KEY"] = Tokens.Create("anon", secret: "another-secret-another-secret-0123456789");
        var result = (await NodeScript.RunAsync("realtime-refused.mjs", env, s_timeout)).Json;

        var expired = result.GetProperty("expiredJoin");
        Assert.Equal("CHANNEL_ERROR", expired.GetProperty("status").GetString());
        Assert.Contains("InvalidJWTToken", expired.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("CHANNEL_ERROR", result.GetProperty("forgedJoin").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Heartbeat_FastIntervalPastIdleTimeout_AnsweredAndStaysJoined()
    {
        var result = (await NodeScript.RunAsync("realtime-heartbeat.mjs", Env(), s_timeout)).Json;

        Assert.Equal("SUBSCRIBED", result.GetProperty("join").GetProperty("status").GetString());
        var statuses = result.GetProperty("statuses");
        Assert.True(statuses.GetProperty("ok").GetInt32() >= 8, statuses.ToString());
        Assert.False(statuses.TryGetProperty("timeout", out _), statuses.ToString());
        Assert.Equal("joined", result.GetProperty("state").GetString());
        Assert.True(result.GetProperty("connected").GetBoolean());
    }

    [Fact]
    public async Task RestBroadcast_SendBeforeJoinAndHttpSend_Delivered()
    {
        var result = (await NodeScript.RunAsync("realtime-rest.mjs", Env(), s_timeout)).Json;

        Assert.Equal("SUBSCRIBED", result.GetProperty("join").GetProperty("status").GetString());
        Assert.Equal("ok", result.GetProperty("fallback").GetString());
        Assert.True(result.GetProperty("http").GetProperty("success").GetBoolean());
        var events = result.GetProperty("got").EnumerateArray().Select(e => e.GetProperty("event").GetString()).Order().ToArray();
        Assert.Equal(["direct", "fallback"], events);
    }

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];
}
