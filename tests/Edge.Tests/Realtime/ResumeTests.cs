using System.Globalization;
using System.Text.RegularExpressions;
using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>
/// Resume on rejoin (issue: realtime delivery that never loses a change), on raw sockets with exact frames against the
/// published binary: a postgres_changes channel whose socket ended without <c>phx_leave</c> is remembered at the
/// position its client proved it had (the Pong to the server's proof Ping, or realtime-js's heartbeat rule), and a join with the same identity, topic and
/// bindings first receives what it missed, then live changes; also after a kill -9 (state file + slot replay), from a
/// half-open socket's silent twin, and with a <c>system</c> error when the window or the history no longer covers it.
/// </summary>
public sealed partial class ResumeTests
{
    private const string Bindings = """{"postgres_changes":[{"event":"INSERT","schema":"public","table":"items"}]}""";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Resume_SocketDroppedAfterProvenRows_RejoinGetsMissedRowsOnceThenLive()
    {
        await using var server = await ResumeServer.StartAsync();
        var topic = NewTopic();
        var first = await server.JoinAsync(topic);
        await server.InsertAsync(1, 3);
        Assert.Equal([1, 2, 3], await ReadRowsAsync(first, 3));
        await ProveAsync(first);
        await server.DropAsync(first);

        await server.InsertAsync(4, 6);
        await using var again = await server.JoinAsync(topic);
        Assert.Equal([4, 5, 6], await ReadRowsAsync(again, 3));
        await server.InsertAsync(7, 7);
        Assert.Equal([7], await ReadRowsAsync(again, 1));
        await AssertNothingMoreAsync(again);
        Assert.Matches(@"(?m)^madbase_realtime_resumed_total 1$", await server.MetricsAsync());
    }

    /// <summary>
    /// A heartbeat proves the reply to the one before it was read only from a client that waits for each reply
    /// (realtime-js matches it by ref and gives the socket up without it). realtime-py 2.0 sends <c>ref: null</c> every
    /// 30 s whatever came back, so its heartbeats prove nothing: rows sent before them and never read are replayed.
    /// </summary>
    [Fact]
    public async Task Resume_HeartbeatsWithoutARef_ProveNothing_UnreadRowsAreReplayed()
    {
        await using var server = await ResumeServer.StartAsync();
        var topic = NewTopic();
        var first = await server.JoinAsync(topic);
        await ProveAsync(first);
        await using var observer = await server.JoinAsync("observer-" + topic);
        await server.InsertAsync(1, 50);
        Assert.Equal(50, (await ReadRowsAsync(observer, 50)).Count); // routed: the first socket takes them as well
        await Task.Delay(300);
        foreach (var _ in new[] { 1, 2 })
        {
            await first.SendTextAsync("""[null,null,"phoenix","heartbeat",{}]"""); // nothing read: neither rows nor replies
            await Task.Delay(100);
        }

        await server.DropAsync(first);

        await using var again = await server.JoinAsync(topic);
        Assert.Equal(Enumerable.Range(1, 50), await ReadRowsAsync(again, 50));
        await AssertNothingMoreAsync(again);
    }

    [Fact]
    public async Task Resume_RowsProvenByThePongToTheServersPing_RejoinRepeatsNoneOfThem()
    {
        await using var server = await ResumeServer.StartAsync();
        var topic = NewTopic();
        var first = await server.JoinAsync(topic);
        var ping = await ReadRowsOneToThreeThenPingAsync(server, first);
        Assert.Equal(8, ping.Length);
        await first.SendFrameAsync(WebSocketOpcode.Pong, ping);
        await HeartbeatAsync(first); // one heartbeat proves nothing by itself; its reply says the Pong was read
        await server.DropAsync(first);

        await server.InsertAsync(4, 6);
        await using var again = await server.JoinAsync(topic);
        Assert.Equal([4, 5, 6], await ReadRowsAsync(again, 3));
        await AssertNothingMoreAsync(again);
    }

    /// <summary>
    /// A phone that changes networks is back on a new socket within seconds while its old one still looks alive here
    /// (it answered a proof ping a moment ago, and no heartbeat interval has passed). The rejoin resumes from that
    /// proof: rows the old socket took after it are not skipped (before: a fresh start, rows 4-6 lost untold).
    /// </summary>
    [Fact]
    public async Task Resume_RejoinWhileTheOldSocketStillLooksAlive_ResumesFromItsLastProof()
    {
        await using var server = await ResumeServer.StartAsync();
        var topic = NewTopic();
        await using var first = await server.JoinAsync(topic);
        var ping = await ReadRowsOneToThreeThenPingAsync(server, first);
        await first.SendFrameAsync(WebSocketOpcode.Pong, ping); // proves rows 1-3, promptly
        await using var observer = await server.JoinAsync("observer-" + topic);
        await server.InsertAsync(4, 6); // taken by the old socket, never read: its client is on the move
        Assert.Equal([4, 5, 6], await ReadRowsAsync(observer, 3));
        await Task.Delay(300);

        await using var again = await server.JoinAsync(topic);
        Assert.Equal([4, 5, 6], await ReadRowsAsync(again, 3));
        await AssertNothingMoreAsync(again);
    }

    [Fact]
    public async Task Resume_PingUnansweredOrAnsweredWithAnotherPayload_RowsComeAgain()
    {
        await using var server = await ResumeServer.StartAsync();
        var topic = NewTopic();
        var first = await server.JoinAsync(topic);
        var ping = await ReadRowsOneToThreeThenPingAsync(server, first);
        ping[7] ^= 0xFF;
        await first.SendFrameAsync(WebSocketOpcode.Pong, ping); // not the answer to that Ping: proves nothing
        await HeartbeatAsync(first);
        await server.DropAsync(first);

        await server.InsertAsync(4, 4);
        await using var again = await server.JoinAsync(topic);
        Assert.Equal([1, 2, 3, 4], await ReadRowsAsync(again, 4)); // unproven: sent again rather than risk a gap
        await AssertNothingMoreAsync(again);
    }

    [Fact]
    public async Task Resume_OtherBindingsOrIdentity_JoinStartsFresh()
    {
        await using var server = await ResumeServer.StartAsync();
        var topic = NewTopic();
        var first = await server.JoinAsync(topic);
        await server.InsertAsync(1, 1);
        Assert.Equal([1], await ReadRowsAsync(first, 1));
        await ProveAsync(first);
        await server.DropAsync(first);
        var routed = Regex.Match(await server.MetricsAsync(), @"(?m)^madbase_realtime_transactions_routed_total (\d+)$").Groups[1].Value;
        await server.InsertAsync(2, 2);
        await server.WaitForMetricAsync($@"(?m)^madbase_realtime_transactions_routed_total (?!{routed}$)\d+$"); // row 2 routed before the joins: none of them may get it

        await using var otherBindings = await server.JoinAsync(topic, """{"postgres_changes":[{"event":"*","schema":"public","table":"items"}]}""");
        await using var otherUser = await server.JoinAsync(topic, token: Tokens.User(Guid.NewGuid()));
        await server.InsertAsync(3, 3);
        Assert.Equal([3], await ReadRowsAsync(otherBindings, 1));
        Assert.Equal([3], await ReadRowsAsync(otherUser, 1));
        Assert.Matches(@"(?m)^madbase_realtime_resume_remembered 1$", await server.MetricsAsync());
    }

    [Fact]
    public async Task Resume_HalfOpenSocketStillRegistered_RejoinResumesFromWhatItsClientProved()
    {
        await using var server = await ResumeServer.StartAsync();
        var topic = NewTopic();
        await using var silent = await server.JoinAsync(topic);
        await server.InsertAsync(1, 2);
        Assert.Equal([1, 2], await ReadRowsAsync(silent, 2));
        await ProveAsync(silent); // heartbeats 100 ms apart: silent once nothing came for 0.6 s
        await server.InsertAsync(3, 4); // reaches the socket, which its client no longer reads (a cut the server has not seen)
        await Task.Delay(1000);

        await using var comeback = await server.JoinAsync(topic);
        Assert.Equal([3, 4], await ReadRowsAsync(comeback, 2));
        await server.InsertAsync(5, 5);
        Assert.Equal([5], await ReadRowsAsync(comeback, 1));
        await AssertNothingMoreAsync(comeback);
    }

    /// <summary>
    /// realtime-js rejoins a channel whose join timed out or failed with a new <c>phx_join</c> on the same socket and no
    /// <c>phx_leave</c>; the server closes the old channel and joins again. The old one had taken the resume entry, so
    /// the new one must start where the old one stood: before, it started fresh and rows 3-4 were lost, untold, whenever
    /// the second join came before the first one's replay was sent (here: both joins in one write).
    /// </summary>
    [Fact]
    public async Task Resume_JoinedTwiceOnOneSocket_TheSecondJoinResumesWhereTheFirstStood()
    {
        await using var server = await ResumeServer.StartAsync();
        var topic = NewTopic();
        var first = await server.JoinAsync(topic);
        await server.InsertAsync(1, 2);
        Assert.Equal([1, 2], await ReadRowsAsync(first, 2));
        await ProveAsync(first);
        await server.DropAsync(first);
        await server.InsertAsync(3, 4);

        await using var again = await RawWebSocket.ConnectAsync(server.Edge.Port, $"/realtime/v1/websocket?apikey={Tokens.Anon}&vsn=2.0.0");
        byte[] Join(string reference) => RawWebSocket.ClientFrame(WebSocketOpcode.Text,
            Encoding.UTF8.GetBytes($$$"""["{{{reference}}}","{{{reference}}}","realtime:{{{topic}}}","phx_join",{"config":{{{Bindings}}}}]"""));
        await again.SendBytesAsync([.. Join("1"), .. Join("2")]);
        var rows = new List<int>();
        while (!(rows.Contains(3) && rows.Contains(4)))
        {
            rows.AddRange(await ReadRowsAsync(again, 1)); // the first channel's replay may come too: repeats, never a gap
        }

        await server.InsertAsync(5, 5);
        while (rows[^1] != 5)
        {
            rows.AddRange(await ReadRowsAsync(again, 1));
        }

        Assert.All(rows, row => Assert.InRange(row, 3, 5));
    }

    /// <summary>
    /// realtime-js, on a heartbeat timeout, sends its Close and reconnects within about 3 s without waiting for the
    /// server's; the server's end of the handshake may still wait behind a backlog the old socket no longer takes. The
    /// old channel looks active then (its Close was the last frame), yet its rejoin must resume from what it proved.
    /// </summary>
    [Fact]
    public async Task Resume_ClientClosedWhileItsSocketIsFull_RejoinResumesFromWhatItProved()
    {
        await using var server = await ResumeServer.StartAsync(env =>
        {
            env["MADBASE_REALTIME_LOG_BYTES"] = (64 * 1024 * 1024).ToString(CultureInfo.InvariantCulture);
            env["MADBASE_REALTIME_OUTBOUND_GRACE_MS"] = "60000"; // the client closes first, not the slow-reader rule
        });
        var topic = NewTopic();
        await using var closing = await server.JoinAsync(topic);
        await server.InsertAsync(1, 2);
        Assert.Equal([1, 2], await ReadRowsAsync(closing, 2));
        await ProveAsync(closing);

        // ~16 MB of frames, far more than the server's send buffer (4 MiB at most here) and the client's unread window.
        const int Backlog = 30_000;
        await server.ExecuteAsync($"insert into public.items select g, repeat('x', 400) from generate_series(3, {Backlog + 2}) g");
        await Task.Delay(1500);
        await closing.SendFrameAsync(WebSocketOpcode.Close, new byte[] { 0x03, 0xE8 });
        await Task.Delay(500);
        var metrics = await server.MetricsAsync();
        Assert.Matches(@"(?m)^madbase_realtime_resume_remembered 0$", metrics); // the old socket is not over yet
        Assert.Matches(@"(?m)^madbase_realtime_connections 1$", metrics);

        await using var again = await server.JoinAsync(topic);
        Assert.Equal(Enumerable.Range(3, Backlog), await ReadRowsAsync(again, Backlog));
        await server.InsertAsync(Backlog + 3, Backlog + 3);
        Assert.Equal([Backlog + 3], await ReadRowsAsync(again, 1));
        await AssertNothingMoreAsync(again);
        Assert.Matches(@"(?m)^madbase_realtime_resumed_total 1$", await server.MetricsAsync());
    }

    [Fact]
    public async Task Resume_RejoinAfterTheWindow_ToldChangesMayHaveBeenMissed()
    {
        await using var server = await ResumeServer.StartAsync(env => env["MADBASE_REALTIME_RESUME_WINDOW"] = "1");
        var topic = NewTopic();
        var first = await server.JoinAsync(topic);
        await ProveAsync(first);
        await server.DropAsync(first);
        await server.WaitForMetricAsync(@"(?m)^madbase_realtime_resume_remembered 0$");

        await using var late = await server.JoinAsync(topic, expectGap: true);
        await server.InsertAsync(1, 1);
        Assert.Equal([1], await ReadRowsAsync(late, 1));
    }

    [Fact]
    public async Task Resume_PositionNoLongerHeld_ToldChangesWereMissedThenLive()
    {
        await using var server = await ResumeServer.StartAsync(env => env["MADBASE_REALTIME_RESUME_BYTES"] = "65536");
        var topic = NewTopic();
        var first = await server.JoinAsync(topic);
        await ProveAsync(first);
        await server.DropAsync(first);
        await server.InsertAsync(1, 2000); // one transaction larger than the history may hold
        await server.InsertAsync(2001, 2001); // pushes it out (once routed)
        await server.WaitForMetricAsync(@"(?m)^madbase_realtime_transactions_routed_total [2-9]");

        await using var again = await server.JoinAsync(topic, expectGap: true);
        await server.InsertAsync(2002, 2002);

        // Then live: 2001 too if the router had not routed it yet when the rejoin came (it was committed before it).
        var rows = new List<int>();
        while (rows.LastOrDefault() != 2002)
        {
            rows.AddRange(await ReadRowsAsync(again, 1));
        }

        Assert.All(rows, row => Assert.True(row > 2000, "the lost transaction was sent after the gap message: " + string.Join(",", rows)));
        Assert.Matches(@"(?m)^madbase_realtime_resume_gaps_total 1$", await server.MetricsAsync());
    }

    [Fact]
    public async Task Resume_AfterKillDashNine_RejoinGetsRowsCommittedWhileDownAndFreshJoinsDoNotGetOldOnes()
    {
        await using var server = await ResumeServer.StartAsync();
        var topic = NewTopic();
        var first = await server.JoinAsync(topic);
        await server.InsertAsync(1, 3);
        Assert.Equal([1, 2, 3], await ReadRowsAsync(first, 3));
        await ProveAsync(first); // on Kestrel's transport only what the client proved survives a crash as its position
        await Task.Delay(1500); // the state file is written every second

        await server.KillAndRestartAsync(async () => await server.InsertAsync(4, 6));
        await first.DisposeAsync();

        await using var again = await server.JoinAsync(topic);
        await using var fresh = await server.JoinAsync("fresh-" + topic);
        Assert.Equal([4, 5, 6], await ReadRowsAsync(again, 3));
        await server.InsertAsync(7, 7);
        Assert.Equal([7], await ReadRowsAsync(again, 1));
        await AssertNothingMoreAsync(again);

        // A fresh join never gets what the dead process had routed (rows committed while it was down may come: they
        // are routed after it joined).
        var freshRows = new List<int>();
        while (freshRows.LastOrDefault() != 7)
        {
            freshRows.AddRange(await ReadRowsAsync(fresh, 1));
        }

        Assert.All(freshRows, row => Assert.True(row > 3, "a fresh join got a row routed before the crash: " + string.Join(",", freshRows)));
    }

    /// <summary>
    /// The durable change log is an audit tap, not where subscribers read from: rows it holds but no client proved must
    /// still reach a client resuming after a kill -9. Its last commit was restored as the floor of re-sends once, so the
    /// slot's re-sends of rows 1-3 were skipped and the rejoin was told it missed them. Each row is logged once.
    /// </summary>
    [Fact]
    public async Task Resume_AfterKillDashNineWithTheChangeLogOn_RowsLoggedButNotProvenStillReachTheRejoin_AndAreLoggedOnce()
    {
        var log = Path.Combine(TestEnvironment.WorkDir, $"changes-{Guid.NewGuid():N}.ndjson");
        await using var server = await ResumeServer.StartAsync(env => env["MADBASE_CHANGE_LOG"] = log);
        var topic = NewTopic();
        var first = await server.JoinAsync(topic);
        await ProveAsync(first); // proven before the rows; they are sent but never read, so never proven
        await server.InsertAsync(1, 3);
        await WaitForLoggedAsync(log, 3);
        await Task.Delay(1500); // the state file is written every second

        await server.KillAndRestartAsync(async () => await server.InsertAsync(4, 6));
        await first.DisposeAsync();

        await using var again = await server.JoinAsync(topic);
        Assert.Equal([1, 2, 3, 4, 5, 6], await ReadRowsAsync(again, 6));
        await AssertNothingMoreAsync(again);
        Assert.Equal([1, 2, 3, 4, 5, 6], LoggedItems(log));
    }

    private static List<long> LoggedItems(string log) =>
        [.. MadBase.Edge.Tests.Replication.ChangeLogReader.ReadCommitted(log)
            .Where(e => e.Data.GetProperty("table").GetString() == "items")
            .Select(e => e.Data.GetProperty("record").GetProperty("id").GetInt64())];

    private static async Task WaitForLoggedAsync(string log, int rows)
    {
        var deadline = DateTime.UtcNow + s_timeout;
        while (LoggedItems(log).Count < rows)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the change log holds {LoggedItems(log).Count} of {rows} rows");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Resume_TenThousandMissedChanges_ReplayedInOrderThenLive()
    {
        await using var server = await ResumeServer.StartAsync();
        var topic = NewTopic();
        var first = await server.JoinAsync(topic);
        await ProveAsync(first);
        await server.DropAsync(first);
        for (var from = 1; from <= 10_000; from += 100)
        {
            await server.InsertAsync(from, from + 99);
        }

        await server.WaitForMetricAsync(@"(?m)^madbase_realtime_transactions_routed_total 100$");
        var started = DateTime.UtcNow;
        await using var again = await server.JoinAsync(topic);
        var rows = await ReadRowsAsync(again, 10_000);
        var replayed = DateTime.UtcNow - started;
        Assert.Equal(Enumerable.Range(1, 10_000), rows);
        await server.InsertAsync(10_001, 10_001);
        Assert.Equal([10_001], await ReadRowsAsync(again, 1));
        await AssertNothingMoreAsync(again);
        await File.AppendAllTextAsync(Path.Combine(TestEnvironment.WorkDir, "resume-figures.txt"),
            $"one client's replay of 10,000 missed changes (100 transactions), join sent to last row read: {replayed.TotalMilliseconds:F0} ms\n");
    }

    [Fact]
    public async Task Resume_AppsOwnSince_ReplaysFromThatCommitTimestampThenLive_OrToldWhenNotHeld()
    {
        await using var server = await ResumeServer.StartAsync();
        var topic = NewTopic();
        await using var first = await server.JoinAsync(topic);
        await Task.Delay(1500); // commit times within a second of the first stream are not trusted to be held (clock margin)
        await server.InsertAsync(1, 1);
        await server.InsertAsync(2, 3);
        await server.InsertAsync(4, 4);
        var frames = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            frames.Add(await ReadTextAsync(first));
        }

        // The app processed row 2 and kept its commit_timestamp: it gets row 2's whole transaction again, then row 4.
        var since = CommitTimestamp().Match(frames[1]).Groups[1].Value;
        await using var app = await server.JoinAsync(topic, $$"""{"postgres_changes":[{"event":"INSERT","schema":"public","table":"items","since":"{{since}}"}]}""");
        Assert.Equal([2, 3, 4], await ReadRowsAsync(app, 3));
        await server.InsertAsync(5, 5);
        Assert.Equal([5], await ReadRowsAsync(app, 1));
        await AssertNothingMoreAsync(app);

        // A since from before the server held anything: told, then live.
        var old = DateTimeOffset.UtcNow.AddHours(-1).ToString("O", CultureInfo.InvariantCulture);
        await using var stale = await server.JoinAsync(topic, $$"""{"postgres_changes":[{"event":"INSERT","schema":"public","table":"items","since":"{{old}}"}]}""", expectGap: true);
        await server.InsertAsync(6, 6);
        Assert.Equal([6], await ReadRowsAsync(stale, 1));
    }

    [GeneratedRegex("\"commit_timestamp\":\"([^\"]+)\"")]
    private static partial Regex CommitTimestamp();

    [Fact]
    public async Task Resume_ClientsCaughtUp_UnpublishedWritesDoNotPinTheSlot()
    {
        await using var server = await ResumeServer.StartAsync();
        await using var socket = await server.JoinAsync(NewTopic());
        await server.InsertAsync(1, 1);
        Assert.Equal([1], await ReadRowsAsync(socket, 1));
        await ProveAsync(socket);

        // Writes the publication does not carry: the slot must move past them although a client is live and remembered.
        await server.ExecuteAsync("create table public.unpublished (id bigint); insert into public.unpublished select generate_series(1, 10000)");
        var target = await server.ScalarAsync<string>("select pg_current_wal_lsn()::text");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await server.ScalarAsync<bool>($"select confirmed_flush_lsn >= '{target}'::pg_lsn from pg_replication_slots where slot_name = '{server.Slot}'"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the slot did not move past unpublished writes while a caught-up client was connected");
            await Task.Delay(200);
            await socket.SendTextAsync("""[null,"hb","phoenix","heartbeat",{}]""");
            await socket.ReadTextContainingAsync("\"hb\"", s_timeout);
        }
    }

    private static string NewTopic() => "resume-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>
    /// Rows 1-3 read by a client that leaves the server's Pings to the test, then the server's proof Ping (its payload, for
    /// the test to answer or not).
    /// </summary>
    private static async Task<byte[]> ReadRowsOneToThreeThenPingAsync(ResumeServer server, RawWebSocket socket)
    {
        socket.AnswerPings = false;
        await server.InsertAsync(1, 3);
        Assert.Equal([1, 2, 3], await ReadRowsAsync(socket, 3));
        return await ReadPingAsync(socket);
    }

    /// <summary>Two heartbeats: the second proves the client read the reply to the first, and so every change before it.</summary>
    private static async Task ProveAsync(RawWebSocket socket)
    {
        foreach (var reference in new[] { "h1", "h2" })
        {
            await socket.SendTextAsync($$"""[null,"{{reference}}","phoenix","heartbeat",{}]""");
            await socket.ReadTextContainingAsync($"\"{reference}\"", s_timeout);
            await Task.Delay(100);
        }
    }

    /// <summary>Reads until the server's proof Ping (sent within a ping interval or two after rows were taken).</summary>
    private static async Task<byte[]> ReadPingAsync(RawWebSocket socket)
    {
        while (true)
        {
            var frame = await socket.ReadFrameAsync(s_timeout) ?? throw new InvalidOperationException("closed before a Ping");
            if (frame.Opcode == WebSocketOpcode.Ping)
            {
                return frame.Payload;
            }

            Assert.DoesNotContain("\"record\"", Encoding.UTF8.GetString(frame.Payload), StringComparison.Ordinal);
        }
    }

    private static async Task HeartbeatAsync(RawWebSocket socket)
    {
        await socket.SendTextAsync("""[null,"hp","phoenix","heartbeat",{}]""");
        await socket.ReadTextContainingAsync("\"hp\"", s_timeout);
    }

    private static async Task<List<int>> ReadRowsAsync(RawWebSocket socket, int count)
    {
        var rows = new List<int>();
        while (rows.Count < count)
        {
            var frame = await ReadTextAsync(socket);
            Assert.DoesNotContain("\"status\":\"error\"", frame, StringComparison.Ordinal);
            if (RecordId().Match(frame) is { Success: true } match)
            {
                rows.Add(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
            }
        }

        return rows;
    }

    /// <summary>The heartbeat reply is the next frame: nothing repeated or extra was queued before it.</summary>
    private static async Task AssertNothingMoreAsync(RawWebSocket socket)
    {
        await socket.SendTextAsync("""[null,"end","phoenix","heartbeat",{}]""");
        Assert.Equal("""[null,"end","phoenix","phx_reply",{"status":"ok","response":{}}]""", await ReadTextAsync(socket));
    }

    private static async Task<string> ReadTextAsync(RawWebSocket socket)
    {
        var frame = await socket.ReadFrameAsync(s_timeout) ?? throw new TimeoutException("no frame");
        return Encoding.UTF8.GetString(frame.Payload);
    }

    [GeneratedRegex("\"record\":\\{\"id\":(\\d+)")]
    private static partial Regex RecordId();

    /// <summary>A published server on a fresh database with a published <c>items</c> table, restartable on its port.</summary>
    private sealed class ResumeServer : IAsyncDisposable
    {
        private readonly string _database;
        private readonly string _slot;

        private ResumeServer(EdgeProcess edge, string database, string slot)
        {
            Edge = edge;
            _database = database;
            _slot = slot;
        }

        public EdgeProcess Edge { get; private set; }

        public string Slot => _slot;

        public async Task<T> ScalarAsync<T>(string sql) => (T)(await TestSql.ScalarAsync(_database, sql))!;

        public static async Task<ResumeServer> StartAsync(Action<Dictionary<string, string>>? settings = null)
        {
            var slot = RealtimeServerFixture.NewSlotName();
            var (database, edge) = await RealtimeServerFixture.StartEdgeAsync(slot, env =>
            {
                env["MADBASE_REALTIME_IDLE_TIMEOUT_MS"] = "60000"; // a half-open socket must stay registered
                settings?.Invoke(env);
            });
            var server = new ResumeServer(edge, database, slot);
            await server.ExecuteAsync("""
                create table public.items (id bigint primary key, label text not null);
                grant select on public.items to anon, authenticated;
                alter publication madbase_pub add table public.items;
                """);
            await edge.WaitForStreamingAsync();
            return server;
        }

        public async Task<RawWebSocket> JoinAsync(string topic, string config = Bindings, string? token = null, bool expectGap = false)
        {
            var socket = await RawWebSocket.ConnectAsync(Edge.Port, $"/realtime/v1/websocket?apikey={token ?? Tokens.Anon}&vsn=2.0.0");
            await socket.SendTextAsync($$$"""["1","1","realtime:{{{topic}}}","phx_join",{"config":{{{config}}}}]""");
            Assert.Contains("\"status\":\"ok\"", await ReadTextAsync(socket), StringComparison.Ordinal);
            Assert.Contains("Subscribed to PostgreSQL", await ReadTextAsync(socket), StringComparison.Ordinal);
            if (expectGap)
            {
                var told = await ReadTextAsync(socket);
                Assert.Contains("\"status\":\"error\"", told, StringComparison.Ordinal);
                Assert.Contains("some were missed", told, StringComparison.Ordinal);
            }

            return socket;
        }

        public Task InsertAsync(int from, int to) =>
            ExecuteAsync($"insert into public.items select g, 'item ' || g from generate_series({from}, {to}) g");

        public Task ExecuteAsync(string sql) => TestSql.ExecuteAsync(_database, sql, timeoutSeconds: 120);

        public Task<string> MetricsAsync() => Edge.Http.GetStringAsync("/metrics");

        /// <summary>The socket ends without <c>phx_leave</c>; returns once the server remembers its channel.</summary>
        public async Task DropAsync(RawWebSocket socket)
        {
            await socket.DisposeAsync();
            await WaitForMetricAsync(@"(?m)^madbase_realtime_resume_remembered 1$");
        }

        public async Task WaitForMetricAsync(string pattern)
        {
            var deadline = DateTime.UtcNow + s_timeout;
            while (!Regex.IsMatch(await MetricsAsync(), pattern))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"/metrics never matched {pattern}:\n{await MetricsAsync()}");
                }

                await Task.Delay(100);
            }
        }

        /// <summary>kill -9, <paramref name="whileDown"/>, then the same binary with the same settings (and state file) on the same port.</summary>
        public async Task KillAndRestartAsync(Func<Task> whileDown)
        {
            await Edge.KillHardAsync();
            await whileDown();
            var environment = new Dictionary<string, string>(Edge.Environment);
            var name = $"edge-{Edge.Port}-restart-{Guid.NewGuid().ToString("N")[..6]}";
            await Edge.DisposeAsync();
            Edge = EdgeProcess.Launch(environment, [], Edge.Port, name);
            await Edge.WaitUntilAsync("/ready", TimeSpan.FromSeconds(30));
            await Edge.WaitForStreamingAsync();
        }

        public async ValueTask DisposeAsync() => await RealtimeServerFixture.StopEdgeAsync(Edge, _database, _slot);
    }
}
