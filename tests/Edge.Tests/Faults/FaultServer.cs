using System.Diagnostics;
using MadBase.Edge.Tests.Realtime;

namespace MadBase.Edge.Tests.Faults;

/// <summary>
/// A fault test's published server with a published <c>public.items</c> table on its own database, plus what the
/// cases share: writing rows straight to PostgreSQL (not through any proxy the test cuts), polling an endpoint
/// until it answers a status, and printing a case's figures in one line the matrix in docs/faults.md quotes.
/// </summary>
internal sealed class FaultServer : IAsyncDisposable
{
    private readonly string _slot;

    private FaultServer(EdgeProcess edge, string database, string slot)
    {
        Edge = edge;
        Database = database;
        _slot = slot;
    }

    public EdgeProcess Edge { get; }

    /// <summary>Direct connection string (the test cluster's own port).</summary>
    public string Database { get; }

    /// <summary>Starts the binary against <paramref name="serverConnectionString"/> (e.g. through a proxy) on <paramref name="database"/>.</summary>
    public static async Task<FaultServer> StartAsync(string database, string serverConnectionString, Action<Dictionary<string, string>>? settings = null)
    {
        var slot = RealtimeServerFixture.NewSlotName();
        var edge = await EdgeProcess.StartAsync(serverConnectionString, env =>
        {
            env["MADBASE_SLOT"] = slot;
            settings?.Invoke(env);
        });
        var server = new FaultServer(edge, database, slot);

        // After the server's migrations: they create the anon and authenticated roles.
        await server.ExecuteAsync(
            """
            create table if not exists public.items (id bigint primary key, label text not null);
            grant select on public.items to anon, authenticated;
            alter publication madbase_pub add table public.items;
            """);
        await edge.WaitForStreamingAsync();
        return server;
    }

    public Task InsertAsync(int from, int to) =>
        ExecuteAsync($"insert into public.items select g, 'item ' || g from generate_series({from}, {to}) g");

    public Task ExecuteAsync(string sql) => TestSql.ExecuteAsync(Database, sql, timeoutSeconds: 120);

    /// <summary>Polls <paramref name="path"/> until it answers <paramref name="status"/>; returns the time it took.</summary>
    public async Task<TimeSpan> WaitForStatusAsync(string path, int status, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        using var probe = new HttpClient { BaseAddress = Edge.BaseUri, Timeout = TimeSpan.FromSeconds(5) };
        var last = "";
        while (clock.Elapsed < timeout)
        {
            try
            {
                using var response = await probe.GetAsync(path);
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                if ((int)response.StatusCode == status)
                {
                    return clock.Elapsed;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                last = ex.Message;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{path} never answered {status} within {timeout.TotalSeconds} s; last: {last}\n{Edge.Log}");
    }

    /// <summary>
    /// One line per case, <c>FAULT case: key=value …</c>, in the test's output and appended to
    /// <c>faults.txt</c> in the run's work directory (what docs/faults.md quotes).
    /// </summary>
    public static void Report(string name, params (string Key, object Value)[] figures)
    {
        var line = $"FAULT {name}: {string.Join(", ", figures.Select(f => $"{f.Key}={f.Value}"))}";
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        lock (typeof(FaultServer))
        {
            File.AppendAllText(Path.Combine(TestEnvironment.WorkDir, "faults.txt"), DateTime.UtcNow.ToString("u", System.Globalization.CultureInfo.InvariantCulture) + " " + line + "\n");
        }
    }

    public async ValueTask DisposeAsync() => await RealtimeServerFixture.StopEdgeAsync(Edge, Database, _slot);
}
