using System.Globalization;
using System.Text.Json;
using MadBase.Edge.Tests.Infrastructure;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>Resume with unmodified supabase-js clients that reconnect and rejoin by themselves.</summary>
public sealed partial class ResumeTests
{
    /// <remarks>
    /// <c>MADBASE_TEST_RESUME_CLIENTS</c> / <c>MADBASE_TEST_RESUME_ROWS</c> scale it to the issue's 50 clients and
    /// 100,000 rows by hand (figures in README); the suite runs 10 clients and 20,000 rows. Rows are committed 100 per
    /// transaction before, during and after the outage.
    /// </remarks>
    [Fact]
    public async Task Resume_KillDashNineDuringAStream_SupabaseJsClientsRejoinAndGetEveryRowInOrder()
    {
        var clients = int.TryParse(Environment.GetEnvironmentVariable("MADBASE_TEST_RESUME_CLIENTS"), out var c) ? c : 10;
        var rows = int.TryParse(Environment.GetEnvironmentVariable("MADBASE_TEST_RESUME_ROWS"), out var r) ? r : 20_000;
        await using var server = await ResumeServer.StartAsync();
        var runs = Enumerable.Range(0, (clients + 9) / 10).Select(p => RunClientsAsync(server, Math.Min(10, clients - (p * 10)), rows)).ToArray();
        await server.WaitForMetricAsync($@"(?m)^madbase_realtime_postgres_bindings {clients}$");

        const int PerTransaction = 100;
        var killed = new TaskCompletionSource();
        var writes = Task.Run(async () =>
        {
            for (var first = 1; first <= rows; first += PerTransaction)
            {
                await server.InsertAsync(first, Math.Min(rows, first + PerTransaction - 1));
                if (first > rows / 3 && !killed.Task.IsCompleted)
                {
                    killed.TrySetResult();
                }

                await Task.Delay(2); // a steady stream, not one burst: rows are committed before, during and after the outage
            }
        });

        await killed.Task;
        var outage = DateTime.UtcNow;
        await server.KillAndRestartAsync(() => Task.Delay(1000));
        var restarted = DateTime.UtcNow;
        await writes;

        var results = (await Task.WhenAll(runs)).SelectMany(RunResults).ToList();
        var repeats = results.Sum(x => x.Repeats);
        await File.AppendAllTextAsync(Path.Combine(TestEnvironment.WorkDir, "resume-figures.txt"),
            $"kill -9 during {rows} rows to {clients} supabase-js clients: down {(restarted - outage).TotalSeconds:F1} s; " +
            $"missing {results.Sum(x => x.Missing)}, repeats {repeats} (max per client {results.Max(x => x.Repeats)}), told {results.Count(x => x.Told)}\n");
        Assert.All(results, x => Assert.True(x.Missing == 0 && x.Complete && !x.Told, $"a client lost rows or was told: {x}"));
        Assert.Matches(@"(?m)^madbase_realtime_resumed_total [1-9]", await server.MetricsAsync());
    }

    private static async Task<JsonElement> RunClientsAsync(ResumeServer server, int clients, int rows)
    {
        var env = new Dictionary<string, string>
        {
            ["EDGE_URL"] = server.Edge.BaseUri.ToString().TrimEnd('/'),
            ["EDGE_ANON_KEY"] = Tokens.Anon,
            ["EDGE_KEY"] = Tokens.Anon,
            ["EDGE_TABLE"] = "items",
            ["EDGE_CLIENTS"] = clients.ToString(CultureInfo.InvariantCulture),
            ["EDGE_ROWS"] = rows.ToString(CultureInfo.InvariantCulture),
            ["EDGE_WAIT_MS"] = "150000",
        };
        return (await NodeScript.RunAsync("realtime-resume.mjs", env, TimeSpan.FromMinutes(4))).Json;
    }

    private static IEnumerable<ClientResult> RunResults(JsonElement run)
    {
        var missing = run.GetProperty("missing").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var repeats = run.GetProperty("repeats").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var complete = run.GetProperty("complete").GetInt32() == missing.Length && run.GetProperty("outOfOrder").GetInt32() == 0;
        var told = run.GetProperty("told").GetInt32() > 0;
        return missing.Select((m, i) => new ClientResult(m, repeats[i], complete, told, run.ToString()));
    }

    private sealed record ClientResult(int Missing, int Repeats, bool Complete, bool Told, string Run);
}
