using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>
/// The delivery log end to end, with unmodified supabase-js against the published binary: a transaction far larger
/// than the log reaches every subscriber that keeps reading, whole, once, in commit order; a subscriber that stops
/// reading is told it missed changes and closed, while the others still get everything. Before the log, the first
/// lost about a third of a 50,000-row transaction silently and the second was closed without being told.
/// </summary>
public sealed partial class ChangeDeliveryTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(4);

    /// <remarks>
    /// <c>MADBASE_TEST_BURST_ROWS</c> / <c>MADBASE_TEST_BURST_CLIENTS</c> scale it up by hand (the issue's 200,000 rows
    /// to 50 subscribers; figures in docs/realtime-server.md §Back-pressure and queues); the suite runs 50,000 to 4, which main's queue could not deliver.
    /// </remarks>
    [Theory]
    [InlineData("epoll")]
    [InlineData("kestrel")]
    public async Task Changes_50000RowTransactionTo4Subscribers_EveryRowOnceInCommitOrder(string transport)
    {
        // Far below the transaction's frames, so the router must wait for the readers. A 1 MiB log (~5,000 rows) was
        // once never filled in CI: four supabase-js clients on a busy machine read as fast as the router appended.
        // 256 KiB is ~1,200 rows, a fortieth of the transaction.
        const int LogBytes = 256 * 1024;
        var rows = int.TryParse(Environment.GetEnvironmentVariable("MADBASE_TEST_BURST_ROWS"), out var r) ? r : 50_000;
        var clients = int.TryParse(Environment.GetEnvironmentVariable("MADBASE_TEST_BURST_CLIENTS"), out var c) ? c : 4;
        await using var ctx = await StartAsync(env =>
        {
            env["MADBASE_REALTIME_LOG_BYTES"] = LogBytes.ToString(CultureInfo.InvariantCulture);
            env["MADBASE_REALTIME_TRANSPORT"] = transport; // both writers read the log: the work item and the pipe task
        });

        // At most 10 clients per node process: one process reading millions of messages would be the bottleneck.
        var runs = Enumerable.Range(0, (clients + 9) / 10).Select(p => ctx.RunBurstAsync(Math.Min(10, clients - (p * 10)), rows)).ToArray();
        await ctx.WaitForBindingsAsync(clients);

        var started = DateTime.UtcNow;
        await ctx.ExecuteAsync($"insert into public.items select g, 'item ' || g from generate_series(1, {rows}) g");
        var committed = DateTime.UtcNow;

        var results = await Task.WhenAll(runs);
        var delivered = DateTime.UtcNow;
        var metrics = await ctx.Edge.Http.GetStringAsync("/metrics");
        // The figures of a scaled-up run, where it can be read afterwards (test output is shown only on failure).
        await File.AppendAllTextAsync(Path.Combine(TestEnvironment.WorkDir, "burst-figures.txt"),
            $"burst {rows} rows x {clients} subscribers ({transport}): commit {(committed - started).TotalSeconds:F1} s, all delivered {(delivered - started).TotalSeconds:F1} s after the insert began; " +
            $"peak RSS {Gauge(metrics, "process_peak_resident_memory_bytes") / (1024 * 1024):F1} MiB; log waits {Gauge(metrics, "madbase_realtime_log_waits_total")}\n");
        foreach (var result in results)
        {
            Assert.Equal(result.GetProperty("received").GetArrayLength(), result.GetProperty("subscribed").GetInt32());
            Assert.True(result.GetProperty("subscribed").GetInt32() == result.GetProperty("complete").GetInt32(), "not every subscriber got every row once in order: " + result);
            Assert.Equal(0, result.GetProperty("told").GetInt32());
        }

        Assert.Matches(@"(?m)^madbase_realtime_log_overruns_total 0$", metrics);

        // The transaction's frames (~10 MiB, shared by the 4 subscribers) did not fit the 256 KiB log: the router waited
        // for the readers instead of dropping, and the log stayed within its bound.
        Assert.Matches(@"(?m)^madbase_realtime_log_waits_total [1-9]", metrics);
        Assert.True(Gauge(metrics, "madbase_realtime_log_bytes") <= LogBytes + 4096, metrics);
    }

    [Fact]
    public async Task Changes_OneSubscriberStopsReading_ToldAndClosed1008_OthersGetEveryRow()
    {
        const int rows = 60_000;
        const int clients = 2;
        await using var ctx = await StartAsync(env =>
        {
            env["MADBASE_REALTIME_LOG_BYTES"] = (1024 * 1024).ToString(CultureInfo.InvariantCulture);
            env["MADBASE_REALTIME_OUTBOUND_GRACE_MS"] = "1000";
        });

        // The stalled subscriber: joins, reads its reply, then reads nothing until it has been told.
        await using var stalled = await RawWebSocket.ConnectAsync(ctx.Edge.Port, $"/realtime/v1/websocket?apikey={Tokens.Anon}&vsn=2.0.0");
        await stalled.SendTextAsync("""["1","1","realtime:stalled","phx_join",{"config":{"postgres_changes":[{"event":"INSERT","schema":"public","table":"items"}]}}]""");
        await stalled.ReadTextContainingAsync("phx_reply", TimeSpan.FromSeconds(20));
        await stalled.ReadTextContainingAsync("Subscribed to PostgreSQL", TimeSpan.FromSeconds(20));

        var run = ctx.RunBurstAsync(clients, rows);
        await ctx.WaitForBindingsAsync(clients + 1);

        // 60 transactions of 1,000 rows, ~30 MiB of frames per subscriber: far more than the stalled socket's kernel
        // buffers and the 1 MiB log hold.
        var writes = Task.Run(async () =>
        {
            for (var batch = 0; batch < rows / 1000; batch++)
            {
                await ctx.ExecuteAsync($"insert into public.items select g, repeat('x', 400) from generate_series({(batch * 1000) + 1}, {(batch + 1) * 1000}) g");
            }
        });
        await ctx.WaitForMetricAsync(@"(?m)^madbase_realtime_log_overruns_total [1-9]", TimeSpan.FromSeconds(120));

        // Read what the stalled socket was sent: changes in order with no gap, then the system error, then 1008.
        var expected = 1L;
        string? told = null;
        ushort? closeCode = null;
        var frames = 0;
        var last = "";
        while (await stalled.ReadFrameAsync(TimeSpan.FromSeconds(20)) is { } frame)
        {
            frames++;
            if (frame.Opcode == WebSocketOpcode.Close)
            {
                closeCode = (ushort)((frame.Payload[0] << 8) | frame.Payload[1]);
                break;
            }

            var text = Encoding.UTF8.GetString(frame.Payload);
            last = text.Length > 300 ? text[..300] : text;
            if (RecordId().Match(text) is { Success: true } id)
            {
                Assert.Null(told); // nothing after the error
                Assert.Equal(expected++, long.Parse(id.Groups[1].Value, CultureInfo.InvariantCulture));
            }
            else if (text.Contains("\"system\"", StringComparison.Ordinal))
            {
                told = text;
            }
        }

        Assert.True(told is not null, $"no system error after {frames} frames (close {closeCode}, last change {expected - 1}); last frame: {last}");
        Assert.Contains("\"status\":\"error\"", told, StringComparison.Ordinal);
        Assert.Contains("Changes were missed", told, StringComparison.Ordinal);
        Assert.Contains("\"extension\":\"postgres_changes\"", told, StringComparison.Ordinal);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, closeCode);
        Assert.True(expected - 1 < rows, "the stalled socket got everything: it was not behind");

        await writes;
        var result = await run;
        Assert.True(clients == result.GetProperty("complete").GetInt32(), "a reading subscriber lost rows: " + result);
        Assert.Equal(0, result.GetProperty("told").GetInt32());
    }

    private static double Gauge(string metrics, string name) =>
        Regex.Match(metrics, $"(?m)^{name} ([0-9.e+]+)$") is { Success: true } match ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN;

    private static async Task<Context> StartAsync(Action<Dictionary<string, string>> settings)
    {
        var slot = RealtimeServerFixture.NewSlotName();
        var (database, edge) = await RealtimeServerFixture.StartEdgeAsync(slot, env =>
        {
            env["MADBASE_REALTIME_IDLE_TIMEOUT_MS"] = "60000"; // the stalled socket sends nothing on purpose
            settings(env);
        });
        var context = new Context(edge, database, slot);
        await context.ExecuteAsync("""
            create table public.items (id bigint primary key, label text not null);
            grant select on public.items to anon, authenticated;
            alter publication madbase_pub add table public.items;
            """);
        await edge.WaitForStreamingAsync();
        return context;
    }

    [GeneratedRegex("\"record\":\\{\"id\":(\\d+)")]
    private static partial Regex RecordId();

    [GeneratedRegex(@"(?m)^madbase_realtime_postgres_bindings (\d+)")]
    private static partial Regex BindingsGauge();

    private sealed class Context(EdgeProcess edge, string database, string slot) : IAsyncDisposable
    {
        public EdgeProcess Edge => edge;

        public async Task<JsonElement> RunBurstAsync(int clients, int rows)
        {
            var env = new Dictionary<string, string>
            {
                ["EDGE_URL"] = edge.BaseUri.ToString().TrimEnd('/'),
                ["EDGE_ANON_KEY"] = Tokens.Anon,
                ["EDGE_KEY"] = Tokens.Anon,
                ["EDGE_TABLE"] = "items",
                ["EDGE_CLIENTS"] = clients.ToString(CultureInfo.InvariantCulture),
                ["EDGE_ROWS"] = rows.ToString(CultureInfo.InvariantCulture),
                ["EDGE_WAIT_MS"] = "180000",
            };
            return (await NodeScript.RunAsync("realtime-burst.mjs", env, s_timeout)).Json;
        }

        public Task ExecuteAsync(string sql) => TestSql.ExecuteAsync(database, sql, timeoutSeconds: 300);

        public async Task WaitForBindingsAsync(int count) =>
            await WaitForAsync(m => BindingsGauge().Match(m) is { Success: true } g && int.Parse(g.Groups[1].Value, CultureInfo.InvariantCulture) >= count, $"{count} bindings", TimeSpan.FromSeconds(60));

        public Task WaitForMetricAsync(string pattern, TimeSpan timeout) => WaitForAsync(m => Regex.IsMatch(m, pattern), pattern, timeout);

        public async ValueTask DisposeAsync() => await RealtimeServerFixture.StopEdgeAsync(edge, database, slot);

        private async Task WaitForAsync(Func<string, bool> condition, string what, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (!condition(await edge.Http.GetStringAsync("/metrics")))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"/metrics never showed {what}:\n{edge.Log}");
                }

                await Task.Delay(100);
            }
        }
    }
}
