using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using MadBase.Edge.Tests.Realtime;

namespace MadBase.Edge.Tests.Cluster;

/// <summary>
/// postgres_changes across nodes (issue #19): the slot leader writes every committed transaction to the JetStream
/// change stream and every node reads it, so clients on any node get every change once, in order; a kill -9 of the
/// leader hands the slot to another node, and the dead node's clients resume on another one from the position its
/// last shared resume state gave them.
/// </summary>
public sealed class ClusterChangesTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Changes_SubscribersOnEveryNode_EachGetsEveryRowOnceInCommitOrder_ARowLargerThanNatsMaxPayloadToo()
    {
        await using var cluster = await StartAsync();
        var sockets = new List<RawWebSocket>();
        try
        {
            for (var node = 0; node < 3; node++)
            {
                var socket = await RawWebSocket.ConnectAsync(cluster.Nodes[node].Port, $"/realtime/v1/websocket?apikey={Tokens.Anon}&vsn=2.0.0");
                await socket.SendTextAsync("""["1","1","realtime:items","phx_join",{"config":{"postgres_changes":[{"event":"INSERT","schema":"public","table":"items"}]}}]""");
                Assert.Contains("Subscribed to PostgreSQL", await socket.ReadTextContainingAsync("system", s_timeout), StringComparison.Ordinal);
                sockets.Add(socket);
            }

            for (var first = 1; first <= 300; first += 30)
            {
                await cluster.ExecuteAsync($"insert into public.items select g, 'item ' || g from generate_series({first}, {first + 29}) g");
            }

            // 1.5 MB of text: above nats-server's 1 MiB max_payload once encoded, so the leader cuts it into pieces (it
            // once stopped the stream). Subscribers get upstream's shortened record with "Error 413", then row 302.
            await cluster.ExecuteAsync("insert into public.items values (301, repeat('x', 1500000))");
            await cluster.ExecuteAsync("insert into public.items values (302, 'after the large row')");

            foreach (var socket in sockets)
            {
                for (var id = 1; id <= 302; id++)
                {
                    var frame = await socket.ReadTextContainingAsync("postgres_changes", s_timeout);
                    Assert.Matches($"\"id\":{id}[,}}]", frame); // the large row's record keeps only its short fields
                    if (id == 301)
                    {
                        Assert.Contains("Error 413: Payload Too Large", frame, StringComparison.Ordinal);
                    }
                }
            }

            foreach (var node in cluster.Nodes)
            {
                Assert.Matches(@"(?m)^madbase_cluster_changes_read_total [1-9]", await node.Http.GetStringAsync("/metrics"));
            }

            Assert.Matches(@"(?m)^madbase_cluster_changes_published_total 12$", await cluster.Nodes[0].Http.GetStringAsync("/metrics"));
        }
        finally
        {
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
    }

    /// <remarks>
    /// Clients are spread over the three nodes; the leader's go through a failover balancer (to node 1 once the leader
    /// is gone), as behind a load balancer. <c>MADBASE_TEST_CLUSTER_CLIENTS</c> / <c>_ROWS</c> scale it to the issue's
    /// size by hand; the suite runs 9 clients and 15,000 rows, 100 per transaction, committed before, during and after
    /// the failover.
    /// </remarks>
    [Fact]
    public async Task KillDashNineOfTheSlotLeader_SupabaseJsClientsOnEveryNodeRejoinAnywhereAndGetEveryRowInOrder()
    {
        var clients = int.TryParse(Environment.GetEnvironmentVariable("MADBASE_TEST_CLUSTER_CLIENTS"), out var c) ? c : 9;
        var rows = int.TryParse(Environment.GetEnvironmentVariable("MADBASE_TEST_CLUSTER_ROWS"), out var r) ? r : 15_000;
        await using var cluster = await StartAsync();
        var leader = cluster.Nodes[0];
        using var balancer = new TcpProxy(TestPorts.Next(), new IPEndPoint(IPAddress.Loopback, leader.Port), new IPEndPoint(IPAddress.Loopback, cluster.Nodes[1].Port));
        string[] urls = [$"http://127.0.0.1:{balancer.Port}", cluster.Nodes[1].BaseUri.ToString().TrimEnd('/'), cluster.Nodes[2].BaseUri.ToString().TrimEnd('/')];
        var wait = TimeSpan.FromSeconds(Math.Clamp((double)clients * rows / 1000, 150, 900));

        // At most 10 clients per Node.js process (one event loop reading millions of changes falls behind its own
        // heartbeats); client i goes to urls[i mod 3] whatever its process, as a balancer spreads them.
        var runs = Enumerable.Range(0, (clients + 9) / 10).Select(p => NodeScript.RunAsync("realtime-resume.mjs", new Dictionary<string, string>
        {
            ["EDGE_URL"] = leader.BaseUri.ToString().TrimEnd('/'),
            ["EDGE_URLS"] = string.Join(',', Enumerable.Range(0, 3).Select(k => urls[((p * 10) + k) % 3])),
            ["EDGE_ANON_KEY"] = Tokens.Anon,
            ["EDGE_KEY"] = Tokens.Anon,
            ["EDGE_TABLE"] = "items",
            ["EDGE_CLIENTS"] = Math.Min(10, clients - (p * 10)).ToString(CultureInfo.InvariantCulture),
            ["EDGE_ROWS"] = rows.ToString(CultureInfo.InvariantCulture),
            ["EDGE_WAIT_MS"] = wait.TotalMilliseconds.ToString(CultureInfo.InvariantCulture),
        }, wait + TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken)).ToArray();
        for (var node = 0; node < 3; node++)
        {
            await WaitForMetricAsync(cluster.Nodes[node], $@"(?m)^madbase_realtime_postgres_bindings {(clients / 3) + (node < clients % 3 ? 1 : 0)}$");
        }

        const int PerTransaction = 100;
        var killAt = new TaskCompletionSource();
        var writes = Task.Run(async () =>
        {
            for (var first = 1; first <= rows; first += PerTransaction)
            {
                await cluster.ExecuteAsync($"insert into public.items select g, 'item ' || g from generate_series({first}, {Math.Min(rows, first + PerTransaction - 1)}) g");
                if (first > rows / 3)
                {
                    killAt.TrySetResult();
                }

                await Task.Delay(2);
            }
        });

        await killAt.Task;
        await Task.Delay(1500); // the leader's resume state for its clients' latest positions is out (every second)
        var killedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await leader.KillHardAsync();
        var takeover = await WaitForNewLeaderAsync(cluster.Nodes[1..]);
        await writes;

        var results = (await Task.WhenAll(runs)).Select(run => run.Json).ToArray();
        var json = string.Join('\n', results.Select(result => result.ToString())); // for failure messages
        var missing = PerClient(results, "missing").Select(e => e.GetInt32()).ToArray();
        var repeats = PerClient(results, "repeats").Select(e => e.GetInt32()).ToArray();
        var told = PerClient(results, "toldPerClient").Select(e => e.GetBoolean()).ToArray();
        var outOfOrder = results.Sum(result => result.GetProperty("outOfOrder").GetInt32());
        var receivedBefore = MostBefore(PerClient(results, "repeatFirstAt"), killedAt);
        var committedBefore = MostBefore(PerClient(results, "repeatCommittedAt"), killedAt);
        await File.AppendAllTextAsync(Path.Combine(TestEnvironment.WorkDir, "cluster-figures.txt"),
            $"kill -9 of the slot leader during {rows} rows to {clients} supabase-js clients on 3 nodes: new leader streaming after {takeover.TotalSeconds:F1} s; " +
            $"missing {missing.Sum()}, repeats {repeats.Sum()} (max per client {repeats.Max()}), told {told.Count(t => t)}; " +
            $"repeated rows first received at most {receivedBefore} ms and committed at most {committedBefore} ms before the kill\n");
        // Never a silent gap: a client missing rows must have been told. (Goal: none told. Seen once in a clean-clone run,
        // cause not found yet: one of the dead node's clients was told its position was no longer held on node 1.)
        Assert.True(missing.Select((m, i) => m == 0 || told[i]).All(ok => ok), "a client lost rows silently: " + json);
        Assert.True(outOfOrder == 0 || told.Any(t => t), "rows out of order without a gap told: " + json);
        Assert.True(told.Count(t => t) <= clients / 3, "more clients told than the dead node had: " + json);
        Assert.True(takeover < TimeSpan.FromSeconds(10), $"takeover took {takeover}");
        // Repeats only of what the dead node had sent in about its last second: its clients' positions reach the other
        // nodes as proven (a Ping answered, up to a second) and shared (once a second), so at most about two seconds.
        Assert.True(receivedBefore <= RepeatBoundMs, $"rows received {receivedBefore} ms before the kill came again: " + json);
        // The dead node's clients came back through the balancer to node 1 and resumed there from the state it shared.
        Assert.Matches(@"(?m)^madbase_realtime_resumed_total [1-9]", await cluster.Nodes[1].Http.GetStringAsync("/metrics"));
        Assert.DoesNotContain("resume share:", cluster.Nodes[1].Log, StringComparison.Ordinal);
    }

    /// <summary>The resume tests' bound on how long before an outage a repeated row may have been received.</summary>
    private const long RepeatBoundMs = 2000;

    /// <summary>One per-client array of realtime-resume.mjs's results, the processes' in order.</summary>
    private static JsonElement[] PerClient(JsonElement[] results, string name) =>
        results.SelectMany(result => result.GetProperty(name).EnumerateArray()).ToArray();

    /// <summary>How long before <paramref name="at"/> (Unix ms) the earliest of the clients' times was (0: none before).</summary>
    private static long MostBefore(JsonElement[] perClient, long at) =>
        Math.Max(0, perClient.Where(e => e.ValueKind == JsonValueKind.Number).Select(e => at - (long)e.GetDouble()).DefaultIfEmpty(0).Max());

    /// <summary>
    /// A follower learns column types it has not seen from the database, as it reads the transaction that has them.
    /// When that query failed (the database out of reach), the reader re-opened after the transaction's messages: the
    /// transaction was lost on that node, untold. It is now retried, holding the transaction, until the database is back.
    /// </summary>
    [Fact]
    public async Task Changes_AFollowerLosesTheDatabaseWhileReadingNewTypes_ItsSubscriberGetsTheRowOnceItIsBack()
    {
        await using var cluster = await StartAsync();
        var database = new NpgsqlConnectionStringBuilder(cluster.Database);
        using var proxy = new TcpProxy(TestPorts.Next(), new IPEndPoint(IPAddress.Loopback, database.Port));
        var follower = await cluster.StartExtraNodeAsync(3, env => env["MADBASE_DATABASE_URL"] = new NpgsqlConnectionStringBuilder(env["MADBASE_DATABASE_URL"]) { Port = proxy.Port }.ConnectionString);
        await cluster.ExecuteAsync("""
            create type public.mood as enum ('ok', 'sad');
            create table public.typed (id bigint primary key, mood public.mood not null);
            grant select on public.typed to anon, authenticated;
            alter publication madbase_pub add table public.typed;
            """);
        await using var socket = await RawWebSocket.ConnectAsync(follower.Port, $"/realtime/v1/websocket?apikey={Tokens.Anon}&vsn=2.0.0");
        await socket.SendTextAsync("""["1","1","realtime:typed","phx_join",{"config":{"postgres_changes":[{"event":"INSERT","schema":"public","table":"typed"}]}}]""");
        Assert.Contains("Subscribed to PostgreSQL", await socket.ReadTextContainingAsync("system", s_timeout), StringComparison.Ordinal);

        proxy.Cut(); // the follower's database is out of reach; the leader's is not
        await cluster.ExecuteAsync("insert into public.typed values (1, 'sad')"); // an enum created after the follower loaded its catalog
        await Task.Delay(TimeSpan.FromSeconds(2));
        proxy.Restore();

        var frame = await socket.ReadTextContainingAsync("postgres_changes", s_timeout);
        Assert.Contains("\"mood\":\"sad\"", frame, StringComparison.Ordinal);
    }

    private static async Task<ClusterFixture> StartAsync()
    {
        var cluster = new ClusterFixture();
        await cluster.InitializeAsync();
        await cluster.ExecuteAsync("""
            create table public.items (id bigint primary key, label text not null);
            grant select on public.items to anon, authenticated;
            alter publication madbase_pub add table public.items;
            """);
        return cluster;
    }

    /// <summary>Until one of <paramref name="nodes"/> streams from the slot; the time it took.</summary>
    private static async Task<TimeSpan> WaitForNewLeaderAsync(EdgeProcess[] nodes)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            foreach (var node in nodes)
            {
                if (Regex.IsMatch(await node.Http.GetStringAsync("/metrics"), @"(?m)^madbase_replication_connected 1$"))
                {
                    return clock.Elapsed;
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("no node took the slot over:\n" + string.Join("\n----\n", nodes.Select(n => n.Log)));
    }

    private static async Task WaitForMetricAsync(EdgeProcess node, string pattern)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!Regex.IsMatch(await node.Http.GetStringAsync("/metrics"), pattern))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"node {node.Port}: {pattern} not reached");
            }

            await Task.Delay(100);
        }
    }
}
