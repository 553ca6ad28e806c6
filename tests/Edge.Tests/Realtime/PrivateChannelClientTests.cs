using System.Text.Json;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>Private channels with the real npm <c>@supabase/supabase-js</c> client against the published binary.</summary>
public sealed class PrivateChannelClientTests(PrivateChannelServerFixture server) : IClassFixture<PrivateChannelServerFixture>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task PrivateChannels_RoomAndLobbyPolicies_EnforcedForJoinBroadcastPresenceAndRest()
    {
        var env = TwoUsersInRoomA();

        var result = (await NodeScript.RunAsync("realtime-private.mjs", env, s_timeout)).Json;

        // User A joins its room twice; user B is refused with upstream's reason.
        Assert.Equal("SUBSCRIBED", Status(result, "joinA1"));
        Assert.Equal("SUBSCRIBED", Status(result, "joinA2"));
        Assert.Equal("SUBSCRIBED", Status(result, "joinPub"));
        Assert.Equal("CHANNEL_ERROR", Status(result, "joinB"));
        Assert.Equal(
            "Unauthorized: You do not have permissions to read from this Channel topic: " + PrivateChannelServerFixture.RoomA,
            result.GetProperty("joinB").GetProperty("error").GetString());

        // Broadcast inside the room (acked, delivered); the public channel of the same name is another topic.
        Assert.Equal("ok", result.GetProperty("ackA2").GetString());
        Assert.Equal("ok", result.GetProperty("ackPub").GetString());
        var got = result.GetProperty("got");
        Assert.Equal(["a2", "restA", "httpA"], From(got.GetProperty("a1")));
        Assert.Equal(["restA", "httpA"], From(got.GetProperty("a2")));
        Assert.Equal(["public"], From(got.GetProperty("pub")));

        // Presence in the room: both members; the public channel sees only itself.
        Assert.Equal("ok", result.GetProperty("trackA1").GetString());
        Assert.Equal("ok", result.GetProperty("trackA2").GetString());
        Assert.Equal(["a1", "a2"], Strings(result.GetProperty("presenceA1")));
        Assert.Equal(["pub"], Strings(result.GetProperty("presencePub")));

        // The lobby: read-only for everyone. The send gets no ack, the track is refused, nothing is delivered.
        Assert.Equal("SUBSCRIBED", Status(result, "joinLobbyA"));
        Assert.Equal("SUBSCRIBED", Status(result, "joinLobbyB"));
        Assert.Equal("timed out", result.GetProperty("lobbySend").GetString());
        Assert.Equal("error", result.GetProperty("lobbyTrack").GetString());
        Assert.Empty(got.GetProperty("lobbyB").EnumerateArray());

        // REST: A's messages arrive (above), B's are accepted by the batch endpoint but dropped, and refused by httpSend.
        Assert.Equal("ok", result.GetProperty("restSendA").GetString());
        Assert.Equal("ok", result.GetProperty("restSendB").GetString());
        Assert.True(result.GetProperty("httpA").GetProperty("success").GetBoolean());
        Assert.Equal("forbidden", result.GetProperty("httpB").GetProperty("error").GetString());

        // A refreshed token (setAuth) that cannot read the room closes the channel; the client does not rejoin.
        Assert.Equal("SUBSCRIBED", result.GetProperty("joinSwitch").GetString());
        Assert.Equal(["SUBSCRIBED", "CLOSED"], Strings(result.GetProperty("statuses")));
        Assert.Equal(
            ["You no longer have permission to read from this Channel topic: " + PrivateChannelServerFixture.RoomA],
            Strings(result.GetProperty("systemMessages")));
    }

    [Fact]
    public async Task BroadcastReplay_StoredThenLive_NewestLimitReplayedOnceThenLiveOnce()
    {
        await server.WaitForStreamingAsync();
        var topic = "lobby-replay-" + Guid.NewGuid().ToString("N")[..8];
        await server.ExecuteAsync($"insert into realtime.messages (topic, extension, event, payload, private, inserted_at) values ('{topic}', 'broadcast', 'stored', '{{\"n\": 0}}', true, now() - interval '1 hour')");
        const int Stored = 5;
        const int Live = 3;
        for (var n = 1; n <= Stored; n++)
        {
            await server.ExecuteAsync($"select realtime.send('{{\"n\": {n}}}', 'stored', '{topic}')");
        }

        var since = (long)(await server.ScalarAsync("select (extract(epoch from now() - interval '30 minutes') * 1000)::bigint"))!;
        var before = await ReplayedTotalAsync();
        var env = TwoUsersInRoomA();
        env["EDGE_TOPIC"] = topic;
        env["EDGE_SINCE"] = since.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["EDGE_STORED"] = Stored.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["EDGE_LIVE"] = Live.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var script = NodeScript.RunAsync("realtime-replay.mjs", env, s_timeout);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await ReplayedTotalAsync() < before + 3 + Stored && !script.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        for (var n = Stored + 1; n <= Stored + Live; n++)
        {
            await server.ExecuteAsync($"select realtime.send('{{\"n\": {n}}}', 'live', '{topic}')");
        }

        var result = (await script).Json;

        Assert.Equal("SUBSCRIBED", Status(result, "joinLimited"));
        Assert.Equal("SUBSCRIBED", Status(result, "joinAll"));
        Assert.Equal("CHANNEL_ERROR", Status(result, "joinRefused"));
        Assert.Equal(
            "Unauthorized: You do not have permissions to read from this Channel topic: " + PrivateChannelServerFixture.RoomA,
            result.GetProperty("joinRefused").GetProperty("error").GetString());
        Assert.Contains("must be a private channel", result.GetProperty("publicError").GetString(), StringComparison.Ordinal);

        // limit 3: the newest three stored, oldest first; no limit: every stored one since `since` (not the hour-old
        // one); then each live message once, without `replayed`. meta.id is the row's id, as in the payload.
        var got = result.GetProperty("got");
        Assert.Equal(["3 replayed", "4 replayed", "5 replayed", "6 live", "7 live", "8 live"], Messages(got.GetProperty("limited")));
        Assert.Equal(["1 replayed", "2 replayed", "3 replayed", "4 replayed", "5 replayed", "6 live", "7 live", "8 live"], Messages(got.GetProperty("all")));
        foreach (var message in got.GetProperty("all").EnumerateArray())
        {
            Assert.Equal(message.GetProperty("payloadId").GetString(), message.GetProperty("id").GetString());
        }
    }

    /// <summary>
    /// Issue 15: realtime.broadcast_changes() from a row trigger (INSERT, UPDATE, DELETE) and realtime.send_binary() to a
    /// private channel: JSON rows to every client, raw bytes to vsn 2.0.0 clients only, byte for byte.
    /// </summary>
    [Fact]
    public async Task DatabaseBroadcasts_BroadcastChangesTriggerAndSendBinary_ReachPrivateChannel()
    {
        var table = "bc_" + Guid.NewGuid().ToString("N")[..8];
        var room = PrivateChannelServerFixture.RoomA;
        await server.ExecuteAsync($$"""
            create table public.{{table}} (id bigint primary key, title text);
            create function public.{{table}}_broadcast() returns trigger language plpgsql as $$
            begin
              perform realtime.broadcast_changes('{{room}}', tg_op, tg_op, tg_table_name, tg_table_schema, new, old);
              return null;
            end $$;
            create trigger {{table}}_broadcast after insert or update or delete on public.{{table}}
              for each row execute function public.{{table}}_broadcast();
            """);
        var joinsBefore = await CounterAsync("madbase_realtime_joins_total");
        var env = new Dictionary<string, string>
        {
            ["EDGE_URL"] = server.Edge.BaseUri.ToString().TrimEnd('/'),
            ["EDGE_ANON_KEY"] = Tokens.Anon,
            ["EDGE_TOKEN_A"] = Tokens.User(PrivateChannelServerFixture.UserA),
            ["EDGE_ROOM"] = room,
            ["EDGE_EXPECT_V2"] = "4",
            ["EDGE_EXPECT_V1"] = "3",
        };
        var script = NodeScript.RunAsync("realtime-db-broadcast.mjs", env, s_timeout);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await CounterAsync("madbase_realtime_joins_total") < joinsBefore + 2 && !script.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        await server.ExecuteAsync($"""
            insert into public.{table} values (1, 'a');
            update public.{table} set title = 'b' where id = 1;
            delete from public.{table} where id = 1;
            select realtime.send_binary('\xdeadbeef00ff'::bytea, 'bytes', '{room}');
            """);
        var result = (await script).Json;

        Assert.Equal("SUBSCRIBED", result.GetProperty("joins").GetProperty("v2").GetString());
        Assert.Equal("SUBSCRIBED", result.GetProperty("joins").GetProperty("v1").GetString());
        var v2 = result.GetProperty("got").GetProperty("v2").EnumerateArray().ToArray();
        var v1 = result.GetProperty("got").GetProperty("v1").EnumerateArray().ToArray();

        // broadcast_changes: event = the operation (as the trigger passes it), payload {old_record, record, operation,
        // table, schema}; meta.id is the realtime.messages row id.
        foreach (var messages in new[] { v1, v2 })
        {
            Assert.Equal(["INSERT", "UPDATE", "DELETE"], messages.Take(3).Select(m => m.GetProperty("event").GetString()));
            var (insert, update, delete) = (messages[0].GetProperty("payload"), messages[1].GetProperty("payload"), messages[2].GetProperty("payload"));
            Assert.Equal("INSERT", insert.GetProperty("operation").GetString());
            Assert.Equal(table, insert.GetProperty("table").GetString());
            Assert.Equal("public", insert.GetProperty("schema").GetString());
            Assert.Equal("a", insert.GetProperty("record").GetProperty("title").GetString());
            Assert.Equal(JsonValueKind.Null, insert.GetProperty("old_record").ValueKind);
            Assert.Equal("b", update.GetProperty("record").GetProperty("title").GetString());
            Assert.Equal("a", update.GetProperty("old_record").GetProperty("title").GetString());
            Assert.Equal(JsonValueKind.Null, delete.GetProperty("record").ValueKind);
            Assert.Equal(1, delete.GetProperty("old_record").GetProperty("id").GetInt64());
            Assert.All(messages.Take(3), m => Assert.False(string.IsNullOrEmpty(m.GetProperty("meta").GetProperty("id").GetString())));
        }

        // send_binary: a binary frame to vsn 2.0.0, the bytes unchanged, with meta.id; nothing to vsn 1.0.0.
        Assert.Equal(4, v2.Length);
        Assert.Equal("bytes", v2[3].GetProperty("event").GetString());
        Assert.True(v2[3].GetProperty("binary").GetBoolean());
        Assert.Equal("deadbeef00ff", v2[3].GetProperty("payload").GetString());
        Assert.False(string.IsNullOrEmpty(v2[3].GetProperty("meta").GetProperty("id").GetString()));
        Assert.Equal(3, v1.Length);
    }

    private async Task<long> CounterAsync(string name)
    {
        var line = (await server.Edge.Http.GetStringAsync("/metrics")).Split('\n').FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<long> ReplayedTotalAsync()
    {
        var line = (await server.Edge.Http.GetStringAsync("/metrics")).Split('\n').FirstOrDefault(l => l.StartsWith("madbase_realtime_replayed_total ", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string[] Messages(JsonElement messages) =>
        [.. messages.EnumerateArray().Select(m => $"{m.GetProperty("n").GetInt32()} {(m.GetProperty("replayed").GetBoolean() ? "replayed" : "live")}")];

    private static string? Status(JsonElement result, string name) => result.GetProperty(name).GetProperty("status").GetString();

    private static string[] From(JsonElement messages) => [.. messages.EnumerateArray().Select(m => m.GetProperty("from").GetString()!)];

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    /// <summary>The scripts' common environment: the edge, the anon key, users A and B, and A's room.</summary>
    private Dictionary<string, string> TwoUsersInRoomA() => new()
    {
        ["EDGE_URL"] = server.Edge.BaseUri.ToString().TrimEnd('/'),
        ["EDGE_ANON_KEY"] = Tokens.Anon,
        ["EDGE_TOKEN_A"] = Tokens.User(PrivateChannelServerFixture.UserA),
        ["EDGE_TOKEN_B"] = Tokens.User(PrivateChannelServerFixture.UserB),
        ["EDGE_ROOM"] = PrivateChannelServerFixture.RoomA,
    };
}
