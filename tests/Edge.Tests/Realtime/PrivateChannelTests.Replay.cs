using System.Text.RegularExpressions;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>
/// Broadcast replay (<c>config.broadcast.replay: {since, limit}</c>) on raw sockets with exact frames: stored
/// <c>realtime.messages</c> broadcasts after the join reply with <c>meta.replayed</c>, the newest <c>limit</c> since
/// <c>since</c> oldest first, read as the joining user, then live messages once; upstream's refusals.
/// </summary>
public sealed partial class PrivateChannelTests
{
    [Fact]
    public async Task Replay_SentBeforeJoin_ReplayedWithMetaReplayedThenLiveOnce()
    {
        await server.WaitForStreamingAsync();
        var lobby = NewLobby();
        for (var n = 1; n <= 3; n++)
        {
            await server.ExecuteAsync($"select realtime.send('{{\"n\":{n}}}', 'db', '{lobby}')");
        }

        var ids = await IdsAsync(lobby);
        await using var socket = await ConnectAsync(TokenA);
        await JoinAsync(socket, lobby, """{"private":true,"broadcast":{"replay":{"since":0}}}""");

        for (var n = 1; n <= 3; n++)
        {
            Assert.Equal(DatabaseFrame(lobby, n, ids[n - 1], replayed: true), await ReadTextAsync(socket));
        }

        // Live after the replay, once: replication delivers in commit order, so by the time n=4 arrives the live
        // copies of 1..3 have come and gone (dropped: already replayed); the heartbeat reply is the next frame.
        await server.ExecuteAsync($"select realtime.send('{{\"n\":4}}', 'db', '{lobby}')");
        Assert.Equal(DatabaseFrame(lobby, 4, (await IdsAsync(lobby))[3], replayed: false), await ReadTextAsync(socket));
        await socket.SendTextAsync("""[null,"9","phoenix","heartbeat",{}]""");
        Assert.Equal("""[null,"9","phoenix","phx_reply",{"status":"ok","response":{}}]""", await ReadTextAsync(socket));
        Assert.Matches(@"(?m)^madbase_realtime_replayed_total [1-9]", await server.Edge.Http.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task Replay_SinceAndLimit_NewestLimitAfterSinceOldestFirst()
    {
        var lobby = NewLobby();
        await server.ExecuteAsync($$"""
            insert into realtime.messages (topic, extension, event, payload, private, inserted_at) values
              ('{{lobby}}', 'broadcast', 'old', '{"n": 0}', true, now() - interval '1 hour'),
              ('{{lobby}}', 'broadcast', 'a', '{"n": 1}', true, now() - interval '3 minutes'),
              ('{{lobby}}', 'broadcast', 'b', '{"n": 2}', true, now() - interval '2 minutes'),
              ('{{lobby}}', 'broadcast', 'c', '{"n": 3}', true, now() - interval '1 minute'),
              ('{{lobby}}', 'broadcast', 'public', '{"n": 4}', false, now() - interval '1 minute'),
              ('{{lobby}}', 'presence', 'p', '{"n": 5}', true, now() - interval '1 minute')
            """);
        await DrainReplicationAsync();
        var since = (long)(await server.ScalarAsync("select (extract(epoch from now() - interval '10 minutes') * 1000)::bigint"))!;

        await using var limited = await ConnectAsync(TokenA);
        await JoinAsync(limited, lobby, $$$$"""{"private":true,"broadcast":{"replay":{"since":{{{{since}}}},"limit":2}}}""");
        Assert.Equal(["b", "c"], await ReplayedEventsAsync(limited));

        await using var all = await ConnectAsync(TokenB); // lobby-* is readable by every user
        await JoinAsync(all, lobby, $$$$"""{"private":true,"broadcast":{"replay":{"since":{{{{since}}}}}}}""");
        Assert.Equal(["a", "b", "c"], await ReplayedEventsAsync(all));
    }

    [Fact]
    public async Task Replay_SelectPolicyPerRow_OnlyRowsTheUserMaySeeReplayed()
    {
        // A policy that looks at the row, not just the topic: replays are read as the user, row by row.
        await server.ExecuteAsync("""
            do $$ begin
              create policy replay_owner_read on realtime.messages for select to authenticated
                using (realtime.topic() like 'owned-%' and (payload is null or payload->>'owner' = auth.uid()::text));
            exception when duplicate_object then null; end $$
            """);
        var topic = "owned-" + Guid.NewGuid().ToString("N")[..8];
        await server.ExecuteAsync($$"""
            insert into realtime.messages (topic, extension, event, payload, private, inserted_at) values
              ('{{topic}}', 'broadcast', 'forA', '{"owner": "{{PrivateChannelServerFixture.UserA}}"}', true, now() - interval '2 minutes'),
              ('{{topic}}', 'broadcast', 'forB', '{"owner": "{{PrivateChannelServerFixture.UserB}}"}', true, now() - interval '1 minute')
            """);
        await DrainReplicationAsync();

        await using var a = await ConnectAsync(TokenA);
        await JoinAsync(a, topic, """{"private":true,"broadcast":{"replay":{"since":0}}}""");
        Assert.Equal(["forA"], await ReplayedEventsAsync(a));

        await using var service = await ConnectAsync(Tokens.ServiceRole);
        await JoinAsync(service, topic, """{"private":true,"broadcast":{"replay":{"since":0}}}""");
        Assert.Equal(["forA", "forB"], await ReplayedEventsAsync(service));
    }

    [Theory]
    [InlineData("""{"broadcast":{"replay":{"since":0}}}""", "UnableToReplayMessages: Replay is not allowed for public channels")]
    [InlineData("""{"private":false,"broadcast":{"replay":null}}""", "UnableToReplayMessages: Replay is not allowed for public channels")]
    [InlineData("""{"private":true,"broadcast":{"replay":{}}}""", "UnableToReplayMessages: Replay params are not valid")]
    [InlineData("""{"private":true,"broadcast":{"replay":{"since":"0"}}}""", "UnableToReplayMessages: Replay params are not valid")]
    [InlineData("""{"private":true,"broadcast":{"replay":{"since":0,"limit":"5"}}}""", "UnableToReplayMessages: Replay params are not valid")]
    public async Task Replay_PublicOrBadParams_RefusedWithUpstreamsReason(string config, string reason)
    {
        await using var socket = await ConnectAsync(TokenA);

        await socket.SendTextAsync($$$"""["1","1","realtime:{{{NewLobby()}}}","phx_join",{"config":{{{config}}}}]""");

        var reply = await socket.ReadTextContainingAsync("phx_reply", s_timeout);
        Assert.Contains($$$"""{"status":"error","response":{"reason":"{{{reason}}}"}}""", reply, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_WithoutReadPolicy_RefusedUnauthorized()
    {
        await using var socket = await ConnectAsync(TokenB);

        await socket.SendTextAsync($$$$$"""["1","1","realtime:{{{{{RoomA}}}}}","phx_join",{"config":{"private":true,"broadcast":{"replay":{"since":0}}}}]""");

        Assert.Equal(
            $$$"""["1","1","realtime:{{{RoomA}}}","phx_reply",{"status":"error","response":{"reason":"Unauthorized: You do not have permissions to read from this Channel topic: {{{RoomA}}}"}}]""",
            await socket.ReadTextContainingAsync("phx_reply", s_timeout));
    }

    [Fact]
    public async Task Replay_QueryFails_RefusedUnableToReplay()
    {
        // The probe row (payload null) passes; a stored row makes the policy's cast fail inside the replay query.
        await server.ExecuteAsync("""
            do $$ begin
              create policy replay_broken_read on realtime.messages for select to authenticated
                using (realtime.topic() like 'broken-%' and (payload is null or (payload->>'x')::int > 0));
            exception when duplicate_object then null; end $$
            """);
        var topic = "broken-" + Guid.NewGuid().ToString("N")[..8];
        await server.ExecuteAsync($$"""insert into realtime.messages (topic, extension, event, payload, private) values ('{{topic}}', 'broadcast', 'e', '{"x": "not a number"}', true)""");
        await using var socket = await ConnectAsync(TokenA);

        await socket.SendTextAsync($$$$$"""["1","1","realtime:{{{{{topic}}}}}","phx_join",{"config":{"private":true,"broadcast":{"replay":{"since":0}}}}]""");

        Assert.Equal(
            $$$$"""["1","1","realtime:{{{{topic}}}}","phx_reply",{"status":"error","response":{"reason":"UnableToReplayMessages: Realtime was unable to replay messages"}}]""",
            await ReadTextAsync(socket));

        // The channel is gone: a broadcast to it is unmatched.
        await socket.SendTextAsync($$$"""["1","2","realtime:{{{topic}}}","broadcast",{"type":"broadcast","event":"e","payload":{}}]""");
        Assert.Equal($$$$"""["1","2","realtime:{{{{topic}}}}","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]""", await ReadTextAsync(socket));
        Assert.Matches(@"(?m)^madbase_realtime_replays_failed_total [1-9]", await server.Edge.Http.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task Replay_NotAnObjectOnPrivateChannel_JoinedWithoutReplay()
    {
        var lobby = NewLobby();
        await server.ExecuteAsync($"insert into realtime.messages (topic, extension, event, payload, private) values ('{lobby}', 'broadcast', 'e', '{{}}', true)");
        await DrainReplicationAsync();
        await using var socket = await ConnectAsync(TokenA);

        await JoinAsync(socket, lobby, """{"private":true,"broadcast":{"replay":null}}""");

        Assert.Empty(await ReplayedEventsAsync(socket));
    }

    [Fact]
    public async Task Replay_WhileMessagesAreBeingSent_ReplayedFirstAndEveryMessageOnce()
    {
        await server.WaitForStreamingAsync();
        var lobby = NewLobby();
        const int Total = 150;
        await using var socket = await ConnectAsync(TokenA);
        var sending = Task.Run(async () =>
        {
            for (var n = 1; n <= Total; n++)
            {
                await server.ExecuteAsync($"select realtime.send('{{\"n\":{n}}}', 'db', '{lobby}')");
            }
        });

        // Join mid-stream: the replay query and live delivery overlap.
        await Task.Delay(300);
        await JoinAsync(socket, lobby, """{"private":true,"broadcast":{"replay":{"since":0,"limit":25}}}""");
        await sending;

        var replayed = new List<int>();
        var live = new List<int>();
        while (!live.Contains(Total) && !(replayed.Count > 0 && replayed[^1] == Total))
        {
            var frame = await ReadTextAsync(socket);
            var number = NumberOf().Match(frame);
            Assert.True(number.Success, "not a numbered broadcast: " + frame);
            var n = int.Parse(number.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (frame.Contains("\"replayed\":true", StringComparison.Ordinal))
            {
                Assert.Empty(live); // every replayed message comes before any live one
                replayed.Add(n);
            }
            else
            {
                live.Add(n);
            }
        }

        var all = replayed.Concat(live).ToList();
        Assert.InRange(replayed.Count, 1, 25);
        Assert.Equal(all.Count, all.Distinct().Count()); // none twice
        Assert.Equal(replayed.Order(), replayed);
        Assert.Equal(live.Order(), live);
        Assert.Equal(Enumerable.Range(all.Min(), Total - all.Min() + 1), all.Order()); // and none missing since the first
        await socket.SendTextAsync("""[null,"9","phoenix","heartbeat",{}]""");
        Assert.Equal("""[null,"9","phoenix","phx_reply",{"status":"ok","response":{}}]""", await ReadTextAsync(socket));
    }

    [GeneratedRegex("\"payload\":\\{\"n\": (\\d+)")]
    private static partial Regex NumberOf();

    private static string NewLobby() => "lobby-" + Guid.NewGuid().ToString("N")[..8];

    private static string DatabaseFrame(string topic, int n, string id, bool replayed) =>
        $$$"""[null,null,"realtime:{{{topic}}}","broadcast",{"type":"broadcast","event":"db","payload":{"n": {{{n}}}, "id": "{{{id}}}"},"meta":{"id":"{{{id}}}"{{{(replayed ? ",\"replayed\":true" : "")}}}}}]""";

    /// <summary>The topic's private broadcast ids in insertion order.</summary>
    private async Task<string[]> IdsAsync(string topic)
    {
        var ids = (string?)await server.ScalarAsync($"select string_agg(id::text, ',' order by inserted_at, ctid) from realtime.messages where topic = '{topic}' and private");
        return ids?.Split(',') ?? [];
    }

    /// <summary>
    /// Until the live copies of the rows inserted so far have passed the hub: a public marker sent after them arrives
    /// on a socket of its own, and replication delivers in commit order. A test that inserts rows and then joins with a
    /// replay reads exact frames, so a live copy must not come after the join (it would be a live frame, rightly).
    /// </summary>
    private async Task DrainReplicationAsync()
    {
        await server.WaitForStreamingAsync();
        var marker = "marker-" + Guid.NewGuid().ToString("N")[..8];
        await using var socket = await ConnectAsync(Tokens.ServiceRole);
        await JoinAsync(socket, marker, "{}");
        await server.ExecuteAsync($"select realtime.send('{{}}', 'marker', '{marker}', false)");
        Assert.Contains("\"event\":\"marker\"", await ReadTextAsync(socket), StringComparison.Ordinal);
    }

    /// <summary>Events of the replayed frames up to the heartbeat reply; asserts each carries its id and replayed.</summary>
    private static async Task<List<string>> ReplayedEventsAsync(RawWebSocket socket)
    {
        await socket.SendTextAsync("""[null,"99","phoenix","heartbeat",{}]""");
        var events = new List<string>();
        while (await ReadTextAsync(socket) is var frame && !frame.Contains("\"99\"", StringComparison.Ordinal))
        {
            Assert.Matches("\"meta\":\\{\"id\":\"[0-9a-f-]{36}\",\"replayed\":true\\}", frame);
            events.Add(Regex.Match(frame, "\"event\":\"([^\"]*)\"").Groups[1].Value);
        }

        return events;
    }
}
