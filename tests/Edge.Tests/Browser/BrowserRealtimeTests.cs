using System.Text.Json;

namespace MadBase.Edge.Tests.Browser;

/// <summary>
/// realtime-js (supabase-js's browser build) in headless Chromium on another origin: postgres_changes with a filter,
/// broadcast with ack, REST broadcast, presence sync and leave, heartbeats past the idle timeout, for both protocol
/// versions realtime-js can negotiate (tests/js/scenarios/browser-realtime.mjs).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class BrowserRealtimeTests(BrowserFixture fixture)
{
    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Chromium_ChangesBroadcastPresenceHeartbeats_WorkCrossOrigin(string vsn)
    {
        var table = "todos_v" + vsn[0];
        await fixture.ExecuteAsync($"""
            create table public.{table} (id bigint primary key, title text);
            grant select on public.{table} to anon, authenticated;
            alter publication madbase_pub add table public.{table};
            """);
        var readyDir = Directory.CreateDirectory(Path.Combine(BrowserFixture.ArtifactsDir, "ready-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        var env = fixture.Env(readyDir);
        env["BROWSER_VSN"] = vsn;
        env["EDGE_TABLE"] = table;

        var run = NodeScript.RunAsync("browser-realtime.mjs", env, TimeSpan.FromSeconds(120));
        await BrowserFixture.WaitForSignalAsync(readyDir, "changes", run, TimeSpan.FromSeconds(60));
        await fixture.ExecuteAsync($"""
            insert into public.{table} values (1, 'one');
            insert into public.{table} values (2, 'two');
            insert into public.{table} values (3, 'three');
            """);
        var result = (await run).Json;

        Assert.Equal(vsn, result.GetProperty("vsnA").GetString());
        Assert.Equal(vsn, result.GetProperty("vsnB").GetString());
        Assert.All(result.GetProperty("joins").EnumerateObject(), j => Assert.Equal("SUBSCRIBED", j.Value.GetString()));
        Assert.Equal("ok", result.GetProperty("tracks").GetProperty("a").GetString());
        Assert.Equal("ok", result.GetProperty("tracks").GetProperty("b").GetString());
        Assert.Equal("ok", result.GetProperty("acks").GetProperty("a").GetString());
        Assert.Equal("ok", result.GetProperty("acks").GetProperty("b").GetString());
        Assert.True(result.GetProperty("http").GetProperty("success").GetBoolean(), result.GetProperty("http").ToString());

        var a = result.GetProperty("a");
        Assert.Equal([1L, 2L, 3L], a.GetProperty("changesAll").EnumerateArray().Select(c => c.GetProperty("id").GetInt64()));
        var filtered = Assert.Single(a.GetProperty("changesFiltered").EnumerateArray());
        Assert.Equal("two", filtered.GetProperty("title").GetString());

        // self: false keeps a socket's own broadcasts from it; a REST broadcast has no sending socket, so both hear it.
        Assert.Equal(["msg:b", "rest:b"], a.GetProperty("broadcasts").EnumerateArray().Select(Describe).Order());
        var atB = result.GetProperty("b").GetProperty("broadcasts").EnumerateArray().ToArray();
        Assert.Equal(["msg:a", "rest:b"], atB.Select(Describe).Order());
        Assert.Equal("grüße", atB.Single(m => m.GetProperty("event").GetString() == "msg").GetProperty("payload").GetProperty("text").GetString());

        // Heartbeats kept the socket past the 4 s idle timeout: answered, never timed out, never closed.
        var before = result.GetProperty("beforeLeave");
        Assert.True(before.GetProperty("connected").GetBoolean());
        Assert.True(before.GetProperty("heartbeats").GetProperty("ok").GetInt32() >= 4, before.GetProperty("heartbeats").ToString());
        Assert.False(before.GetProperty("heartbeats").TryGetProperty("timeout", out _), before.GetProperty("heartbeats").ToString());
        Assert.Empty(before.GetProperty("closes").EnumerateArray());

        Assert.Equal(["b"], Strings(a.GetProperty("leaves")));
        Assert.Equal(["a"], Strings(a.GetProperty("presenceKeys")));
        Assert.True(a.GetProperty("connected").GetBoolean());
        Assert.False(result.GetProperty("b").GetProperty("connected").GetBoolean());

        AssertCors(result, minPreflights: 1);
        Assert.All(result.GetProperty("shots").EnumerateArray(), s => Assert.True(new FileInfo(s.GetString()!).Length > 1000, s.GetString()));
    }

    /// <summary>Every preflight Chromium sent was answered 204 for the page's origin, and no request failed CORS.</summary>
    internal static void AssertCors(JsonElement result, int minPreflights)
    {
        var preflights = result.GetProperty("preflights").EnumerateArray().ToArray();
        Assert.True(preflights.Length >= minPreflights, $"{preflights.Length} preflights seen, expected at least {minPreflights}");
        Assert.All(preflights, p =>
        {
            Assert.True(p.GetProperty("status").ValueKind == JsonValueKind.Number && p.GetProperty("status").GetInt32() == 204, p.ToString());
            Assert.Equal("*", p.GetProperty("allowOrigin").GetString());
        });
        Assert.Empty(result.GetProperty("corsErrors").EnumerateArray());
    }

    private static string Describe(JsonElement broadcast) =>
        broadcast.GetProperty("event").GetString() + ":" + broadcast.GetProperty("payload").GetProperty("from").GetString();

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];
}
