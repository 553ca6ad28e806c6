using System.Globalization;
using System.Text.Json;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>Resume with unmodified supabase-js clients that reconnect and rejoin by themselves.</summary>
public sealed partial class ResumeTests
{
    /// <remarks>
    /// <c>MADBASE_TEST_RESUME_CLIENTS</c> / <c>MADBASE_TEST_RESUME_ROWS</c> scale it to the issue's 50 clients and
    /// 100,000 rows by hand (figures in README), with <c>MADBASE_TEST_RESUME_BYTES</c> as the server's
    /// <c>MADBASE_REALTIME_RESUME_BYTES</c>: the history must hold what the slowest client has not proven yet; the suite
    /// runs 10 clients and 20,000 rows on the default. Rows are committed 100 per transaction before, during and after
    /// the outage.
    /// </remarks>
    [Fact]
    public async Task Resume_KillDashNineDuringAStream_SupabaseJsClientsRejoinAndGetEveryRowInOrder()
    {
        var clients = int.TryParse(Environment.GetEnvironmentVariable("MADBASE_TEST_RESUME_CLIENTS"), out var c) ? c : 10;
        var rows = int.TryParse(Environment.GetEnvironmentVariable("MADBASE_TEST_RESUME_ROWS"), out var r) ? r : 20_000;
        var history = Environment.GetEnvironmentVariable("MADBASE_TEST_RESUME_BYTES");
        await using var server = await ResumeServer.StartAsync(env =>
        {
            if (history is not null)
            {
                env["MADBASE_REALTIME_RESUME_BYTES"] = history;
            }
        });
        // realtime-js's own heartbeat interval (25 s): the server's proof pings, not heartbeats, bound the repeats.
        var libraryHeartbeat = new Dictionary<string, string> { ["EDGE_HEARTBEAT_MS"] = "default" };
        var runs = Enumerable.Range(0, (clients + 9) / 10)
            .Select(p => RunClientsAsync(server, Math.Min(10, clients - (p * 10)), rows, server.Edge.BaseUri, libraryHeartbeat)).ToArray();
        await server.WaitForMetricAsync($@"(?m)^madbase_realtime_postgres_bindings {clients}$");

        var (outage, restarted) = await KillDashNineDuringWritesAsync(server, rows, pauseMs: 2); // a steady stream, not one burst

        var results = (await Task.WhenAll(runs)).SelectMany(RunResults).ToList();
        var repeats = results.Sum(x => x.Repeats);
        var (received, committed) = RepeatsBefore(outage, results);
        await File.AppendAllTextAsync(Path.Combine(TestEnvironment.WorkDir, "resume-figures.txt"),
            $"kill -9 during {rows} rows to {clients} supabase-js clients: down {(restarted - outage).TotalSeconds:F1} s; " +
            $"missing {results.Sum(x => x.Missing)}, repeats {repeats} (max per client {results.Max(x => x.Repeats)}), told {results.Count(x => x.Told)}; " +
            $"repeated rows first received at most {received.TotalMilliseconds:F0} ms and committed at most {committed.TotalMilliseconds:F0} ms before the kill\n");
        Assert.All(results, x => Assert.True(x.Missing == 0 && x.Complete && !x.Told, $"a client lost rows or was told: {x}"));
        Assert.True(received <= RepeatBound, $"rows received {received.TotalMilliseconds:F0} ms before the kill came again: proofs lag");
        Assert.Matches(@"(?m)^madbase_realtime_resumed_total [1-9]", await server.MetricsAsync());
    }

    /// <summary>
    /// A rejoin after a kill -9 is sent its replay behind the live stream's head; a client that stops reading inside that
    /// replay misses its heartbeat replies, gives up the socket and rejoins again. It must be remembered where its replay
    /// started, not at a proof of the live head taken before the replay was queued: that resumed it past the rest of
    /// its replay, silently (4,798 of 20,000 rows missing, not told, before the fix).
    /// </summary>
    [Fact]
    public async Task Resume_KillDashNineThenAReaderStallsInsideItsReplay_ItRejoinsAndStillGetsEveryRow()
    {
        const int Clients = 3;
        const int Rows = 20_000;
        await using var server = await ResumeServer.StartAsync();
        var run = RunClientsAsync(server, Clients, Rows, server.Edge.BaseUri, new()
        {
            ["EDGE_STALL_INDEX"] = "0",
            ["EDGE_STALL_AFTER"] = (Rows * 2 / 5).ToString(CultureInfo.InvariantCulture), // past the third it has at the kill
            ["EDGE_STALL_MS"] = "8000", // realtime-js gives the socket up once a heartbeat (1 s here) goes unanswered
        });
        await server.WaitForMetricAsync($@"(?m)^madbase_realtime_postgres_bindings {Clients}$");

        await KillDashNineDuringWritesAsync(server, Rows, pauseMs: 40); // about 8 s of rows: the replay after the restart, then live ones while it stalls

        var json = await run;
        var results = RunResults(json).ToList();
        var toldPerClient = json.GetProperty("toldPerClient").EnumerateArray().Select(e => e.GetBoolean()).ToArray();
        await File.AppendAllTextAsync(Path.Combine(TestEnvironment.WorkDir, "resume-figures.txt"),
            $"kill -9, then a reader stalled 8 s inside its replay ({Clients} clients, {Rows} rows): stalled one missing {results[0].Missing} (told {toldPerClient[0]}), repeats {results[0].Repeats}; others missing {results.Skip(1).Sum(x => x.Missing)}\n");
        Assert.Equal(1, json.GetProperty("stalled").GetInt32());
        Assert.All(results, x => Assert.True(x.Missing == 0, "a client lost rows: " + json));
        Assert.Equal(0, json.GetProperty("outOfOrder").GetInt32());
    }

    /// <remarks><c>MADBASE_TEST_CUT_SECONDS</c> (default 5) sets the cut's length; the issue's is 30.</remarks>
    [Fact]
    public async Task Resume_NetworkCutDuringAStream_SupabaseJsClientsRejoinThroughTheProxyAndGetEveryRow()
    {
        var cut = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("MADBASE_TEST_CUT_SECONDS"), out var s) ? s : 5);
        const int Clients = 10;
        const int Rows = 10_000;
        const int PerTransaction = 100;
        await using var server = await ResumeServer.StartAsync();
        await using var proxy = new BlackholeProxy(TestPorts.Next(), server.Edge.Port);
        var run = RunClientsAsync(server, Clients, Rows, proxy.BaseUri);
        await server.WaitForMetricAsync($@"(?m)^madbase_realtime_postgres_bindings {Clients}$");

        // Rows before, during and after the cut: spread over three cut lengths.
        var pace = cut * 3 / (Rows / PerTransaction);
        var writes = Task.Run(async () =>
        {
            for (var first = 1; first <= Rows; first += PerTransaction)
            {
                await server.InsertAsync(first, first + PerTransaction - 1);
                await Task.Delay(pace);
            }
        });
        await Task.Delay(cut);
        var cutAt = DateTime.UtcNow;
        proxy.Cut();
        await Task.Delay(cut);
        proxy.Restore();
        await writes;

        var results = RunResults(await run).ToList();
        var (received, committed) = RepeatsBefore(cutAt, results);
        await File.AppendAllTextAsync(Path.Combine(TestEnvironment.WorkDir, "resume-figures.txt"),
            $"{cut.TotalSeconds:F0} s network cut during {Rows} rows to {Clients} supabase-js clients: " +
            $"missing {results.Sum(x => x.Missing)}, repeats {results.Sum(x => x.Repeats)} (max per client {results.Max(x => x.Repeats)}), told {results.Count(x => x.Told)}; " +
            $"repeated rows first received at most {received.TotalMilliseconds:F0} ms and committed at most {committed.TotalMilliseconds:F0} ms before the cut\n");

        // The server's own count of what happened (sockets, joins, resumes, gaps, drops), for a failure's message: a
        // CI run once saw half the clients get nothing after the cut, untold, and the server logged nothing at Info.
        var realtime = string.Join('\n', (await server.MetricsAsync()).Split('\n').Where(l => l.StartsWith("madbase_realtime_", StringComparison.Ordinal) && !l.EndsWith(" 0", StringComparison.Ordinal)));
        Assert.All(results, x => Assert.True(x.Missing == 0 && x.Complete && !x.Told, $"a client lost rows or was told: {x}\n{realtime}"));
        Assert.True(received <= RepeatBound, $"rows received {received.TotalMilliseconds:F0} ms before the cut came again: proofs lag");
        Assert.Matches(@"(?m)^madbase_realtime_resumed_total [1-9]", await server.MetricsAsync());
    }

    /// <remarks><c>MADBASE_TEST_STALL_SECONDS</c> (default 10) / <c>MADBASE_TEST_STALL_ROWS</c> (20,000); the issue's are 60 s and 100,000.</remarks>
    [Fact]
    public async Task Resume_OneReaderStopsReading_RealtimeJsTimesOutAndRejoins_EveryRowOrToldNeverASilentGap()
    {
        var stall = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("MADBASE_TEST_STALL_SECONDS"), out var s) ? s : 10);
        var rows = int.TryParse(Environment.GetEnvironmentVariable("MADBASE_TEST_STALL_ROWS"), out var r) ? r : 20_000;
        const int Clients = 4;
        const int PerTransaction = 100;
        await using var server = await ResumeServer.StartAsync();
        var run = RunClientsAsync(server, Clients, rows, server.Edge.BaseUri, new()
        {
            ["EDGE_STALL_INDEX"] = "0",
            ["EDGE_STALL_AFTER"] = "100",
            ["EDGE_STALL_MS"] = ((int)stall.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
        });
        await server.WaitForMetricAsync($@"(?m)^madbase_realtime_postgres_bindings {Clients}$");

        var pace = stall * 2 / (rows / PerTransaction); // the stall falls in the middle of the stream
        for (var first = 1; first <= rows; first += PerTransaction)
        {
            await server.InsertAsync(first, first + PerTransaction - 1);
            await Task.Delay(pace);
        }

        var json = await run;
        var results = RunResults(json).ToList();
        var toldPerClient = json.GetProperty("toldPerClient").EnumerateArray().Select(e => e.GetBoolean()).ToArray();
        await File.AppendAllTextAsync(Path.Combine(TestEnvironment.WorkDir, "resume-figures.txt"),
            $"reader stalled {stall.TotalSeconds:F0} s during {rows} rows ({Clients} clients): stalled one missing {results[0].Missing} (told {toldPerClient[0]}), repeats {results[0].Repeats}; others missing {results.Skip(1).Sum(x => x.Missing)}\n");
        Assert.Equal(1, json.GetProperty("stalled").GetInt32());
        Assert.True(results[0].Missing == 0 || toldPerClient[0], "the stalled reader has a silent gap: " + json);
        Assert.All(results.Skip(1).Zip(toldPerClient.Skip(1)), x => Assert.True(x.First.Missing == 0 && !x.Second, "a reading client lost rows or was told: " + json));
    }

    /// <summary>
    /// Commits rows 1..<paramref name="rows"/> in transactions of 100, <paramref name="pauseMs"/> apart, and kills the
    /// server with -9 (restarted a second later) once a third of them is committed, so rows are committed before, during
    /// and after the outage; returns when all are committed.
    /// </summary>
    private static async Task<(DateTime Outage, DateTime Restarted)> KillDashNineDuringWritesAsync(ResumeServer server, int rows, int pauseMs)
    {
        const int PerTransaction = 100;
        var killed = new TaskCompletionSource();
        var writes = Task.Run(async () =>
        {
            for (var first = 1; first <= rows; first += PerTransaction)
            {
                await server.InsertAsync(first, Math.Min(rows, first + PerTransaction - 1));
                if (first > rows / 3)
                {
                    killed.TrySetResult();
                }

                await Task.Delay(pauseMs);
            }
        });
        await Task.WhenAny(killed.Task, writes);
        await (writes.IsFaulted ? writes : Task.CompletedTask); // a failed insert ends the test, not a wait for a kill that never comes
        var outage = DateTime.UtcNow;
        await server.KillAndRestartAsync(() => Task.Delay(1000));
        var restarted = DateTime.UtcNow;
        await writes;
        return (outage, restarted);
    }

    private static async Task<JsonElement> RunClientsAsync(ResumeServer server, int clients, int rows) =>
        await RunClientsAsync(server, clients, rows, server.Edge.BaseUri);

    private static async Task<JsonElement> RunClientsAsync(ResumeServer server, int clients, int rows, Uri url, Dictionary<string, string>? extra = null)
    {
        var env = new Dictionary<string, string>(extra ?? [])
        {
            ["EDGE_URL"] = url.ToString().TrimEnd('/'),
            ["EDGE_ANON_KEY"] = Tokens.Anon,
            ["EDGE_KEY"] = Tokens.Anon,
            ["EDGE_TABLE"] = "items",
            ["EDGE_CLIENTS"] = clients.ToString(CultureInfo.InvariantCulture),
            ["EDGE_ROWS"] = rows.ToString(CultureInfo.InvariantCulture),
            ["EDGE_WAIT_MS"] = Wait(clients, rows).TotalMilliseconds.ToString(CultureInfo.InvariantCulture),
        };
        return (await NodeScript.RunAsync("realtime-resume.mjs", env, Wait(clients, rows) + TimeSpan.FromMinutes(1))).Json;
    }

    /// <summary>How long the clients wait for every row: 150 s for the suite's sizes, longer for hand-scaled runs.</summary>
    private static TimeSpan Wait(int clients, int rows)
    {
        var deliveries = (double)clients * rows;
        return TimeSpan.FromSeconds(Math.Clamp(deliveries / 1500, 150, 900));
    }

    /// <summary>
    /// How long before an outage the repeated rows were first received (and committed), over every client. The server
    /// proves a socket's deliveries with a Ping every 0.5 s and saves proofs every 0.5 s, so only rows sent in about the
    /// last second may come twice; the bound adds room for a busy machine's late Pongs.
    /// </summary>
    private static readonly TimeSpan RepeatBound = TimeSpan.FromSeconds(2);

    private static (TimeSpan Received, TimeSpan Committed) RepeatsBefore(DateTime outage, List<ClientResult> results)
    {
        var at = new DateTimeOffset(outage).ToUnixTimeMilliseconds();
        var received = results.Where(x => x.RepeatFirstAt > 0).Select(x => at - x.RepeatFirstAt).DefaultIfEmpty(0).Max();
        var committed = results.Where(x => x.RepeatCommittedAt > 0).Select(x => at - x.RepeatCommittedAt).DefaultIfEmpty(0).Max();
        return (TimeSpan.FromMilliseconds(Math.Max(0, received)), TimeSpan.FromMilliseconds(Math.Max(0, committed)));
    }

    private static IEnumerable<ClientResult> RunResults(JsonElement run)
    {
        var missing = run.GetProperty("missing").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var repeats = run.GetProperty("repeats").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var firstAt = run.GetProperty("repeatFirstAt").EnumerateArray().Select(Milliseconds).ToArray();
        var committedAt = run.GetProperty("repeatCommittedAt").EnumerateArray().Select(Milliseconds).ToArray();
        var complete = run.GetProperty("complete").GetInt32() == missing.Length && run.GetProperty("outOfOrder").GetInt32() == 0;
        var toldEach = run.GetProperty("toldPerClient").EnumerateArray().Select(e => e.GetBoolean()).ToArray();
        return missing.Select((m, i) => new ClientResult(m, repeats[i], complete || (m == 0 && !toldEach[i]), toldEach[i], firstAt[i], committedAt[i], run.ToString()));

        static long Milliseconds(JsonElement e) => e.ValueKind == JsonValueKind.Number ? (long)e.GetDouble() : 0;
    }

    private sealed record ClientResult(int Missing, int Repeats, bool Complete, bool Told, long RepeatFirstAt, long RepeatCommittedAt, string Run);
}
