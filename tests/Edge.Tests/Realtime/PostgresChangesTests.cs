using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>
/// postgres_changes end to end: PostgreSQL → logical replication → the published binary → supabase-js callbacks.
/// Each test owns a database and a slot, so tests never see each other's changes.
/// </summary>
[Collection(HeavyWalCollection.Name)]
public sealed partial class PostgresChangesTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task Changes_InsertUpdateDelete_DeliveredPerEventAndFilter()
    {
        await using var ctx = await StartAsync("""
            create table public.todos (id bigint primary key, title text, done bool not null default false);
            grant select on public.todos to anon, authenticated;
            """, "todos");
        var expect = new Dictionary<string, int> { ["all"] = 4, ["inserts2"] = 1, ["deletes"] = 1, ["updatesTitleC"] = 1, ["idGt1"] = 2, ["idAndTitle"] = 1, ["titleILikeB"] = 1 };
        var run = ctx.RunScriptAsync("realtime-changes.mjs", expect);
        await ctx.WaitForBindingsAsync(7);
        await ctx.ExecuteAsync("""
            insert into public.todos (id, title) values (1, 'a');
            insert into public.todos (id, title, done) values (2, 'b', true);
            update public.todos set title = 'c' where id = 1;
            delete from public.todos where id = 2;
            """);
        var got = (await run).GetProperty("got");

        var all = got.GetProperty("all").EnumerateArray().ToArray();
        Assert.Equal(["INSERT", "INSERT", "UPDATE", "DELETE"], all.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal(1, all[0].GetProperty("new").GetProperty("id").GetInt64());
        Assert.Equal("a", all[0].GetProperty("new").GetProperty("title").GetString());
        Assert.False(all[0].GetProperty("new").GetProperty("done").GetBoolean());
        Assert.Equal("public", all[0].GetProperty("schema").GetString());
        Assert.Equal("todos", all[0].GetProperty("table").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$", all[0].GetProperty("commit").GetString());
        Assert.Equal("c", all[2].GetProperty("new").GetProperty("title").GetString());
        Assert.Equal(1, all[2].GetProperty("old").GetProperty("id").GetInt64());
        Assert.Equal(2, all[3].GetProperty("old").GetProperty("id").GetInt64());
        Assert.Empty(all[3].GetProperty("new").EnumerateObject());

        Assert.Equal(2, got.GetProperty("inserts2").EnumerateArray().Single().GetProperty("new").GetProperty("id").GetInt64());
        Assert.Equal("DELETE", got.GetProperty("deletes").EnumerateArray().Single().GetProperty("type").GetString());
        Assert.Equal("c", got.GetProperty("updatesTitleC").EnumerateArray().Single().GetProperty("new").GetProperty("title").GetString());

        // id=gt.1 compares numbers (10 > 2 would fail as text): the INSERT and the DELETE (on old values) of id 2.
        Assert.Equal(["INSERT", "DELETE"], got.GetProperty("idGt1").EnumerateArray().Select(e => e.GetProperty("type").GetString()));

        // Comma = AND (the DELETE's old record has no title, so it cannot match); ilike ignores case.
        Assert.Equal(["UPDATE"], got.GetProperty("idAndTitle").EnumerateArray().Select(e => e.GetProperty("type").GetString()));
        Assert.Equal(2, got.GetProperty("titleILikeB").EnumerateArray().Single().GetProperty("new").GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task Changes_MatchIMatchIsDistinctFilters_DeliverOnlyMatchingRows()
    {
        await using var ctx = await StartAsync("""
            create table public.todos (id bigint primary key, title text, done bool not null default false);
            grant select on public.todos to anon, authenticated;
            """, "todos");
        var expect = new Dictionary<string, int> { ["titleMatch"] = 2, ["titleIMatch"] = 3, ["titleIsDistinctA"] = 4 };
        var run = ctx.RunScriptAsync("realtime-changes.mjs", expect);
        await ctx.WaitForBindingsAsync(3);
        await ctx.ExecuteAsync("""
            insert into public.todos (id, title) values (1, 'b12');
            insert into public.todos (id, title) values (2, 'B7x');
            insert into public.todos (id, title) values (3, 'a');
            insert into public.todos (id, title) values (4, null);
            update public.todos set title = 'b3' where id = 3;
            delete from public.todos where id = 1;
            """);
        var result = await run;
        var got = result.GetProperty("got");
        Assert.All(result.GetProperty("joins").EnumerateObject(), j => Assert.Equal("SUBSCRIBED", j.Value.GetString()));

        static string[] Seen(JsonElement events) => events.EnumerateArray()
            .Select(e => $"{e.GetProperty("type").GetString()} {e.GetProperty("new").GetProperty("id").GetInt64()}").ToArray();

        // match is case-sensitive and anchored here: 'B7x', 'a' and NULL do not match; the DELETE's old record
        // carries only the key, so a title filter cannot match it.
        Assert.Equal(["INSERT 1", "UPDATE 3"], Seen(got.GetProperty("titleMatch")));
        Assert.Equal(["INSERT 1", "INSERT 2", "UPDATE 3"], Seen(got.GetProperty("titleIMatch")));

        // IS DISTINCT FROM 'a': NULL (row 4) is distinct, 'a' (row 3's insert) is not.
        Assert.Equal(["INSERT 1", "INSERT 2", "INSERT 4", "UPDATE 3"], Seen(got.GetProperty("titleIsDistinctA")));
    }

    /// <summary>
    /// supabase-js's view of the RLS matrix's DELETE rule (Faults/RlsMatrixTests): a deleted row of an RLS table with
    /// REPLICA IDENTITY FULL reaches every subscriber (deletes are never RLS-checked) with only its key.
    /// </summary>
    [Fact]
    public async Task Changes_RlsDeleteOfFullIdentityRow_SupabaseJsGetsOnlyTheKey()
    {
        await using var ctx = await StartAsync("""
            create table public.notes (id bigint primary key, user_id uuid not null, title text);
            alter table public.notes replica identity full;
            grant select on public.notes to anon, authenticated;
            alter table public.notes enable row level security;
            create policy own_notes on public.notes for select to authenticated using (user_id = auth.uid());
            """, "notes");
        var alice = Guid.NewGuid();
        await ctx.ExecuteAsync($"insert into public.notes values (1, '{alice}', 'private to alice');");
        var bobRun = ctx.RunScriptAsync("realtime-changes.mjs", new() { ["deletes"] = 1 }, table: "notes", userToken: Tokens.User(Guid.NewGuid()));
        var anonRun = ctx.RunScriptAsync("realtime-changes.mjs", new() { ["deletes"] = 1 }, table: "notes");
        await ctx.WaitForBindingsAsync(2);
        await ctx.ExecuteAsync("delete from public.notes where id = 1;");

        foreach (var run in new[] { bobRun, anonRun })
        {
            var delete = Assert.Single((await run).GetProperty("got").GetProperty("deletes").EnumerateArray());
            Assert.Equal("""{"id":1}""", delete.GetProperty("old").GetRawText());
        }
    }

    /// <summary>
    /// An RLS probe matches the keys it reads back as text with the replication stream's, which is written in UTC. With
    /// the server's connections in another time zone a <c>timestamptz</c> key read back differently, so every row of
    /// such a table was hidden from every subscriber but service_role.
    /// </summary>
    [Fact]
    public async Task Changes_RlsTableKeyedByTimestamptz_ServerConnectionsInAnotherTimeZone_RowStillVisible()
    {
        await using var ctx = await StartAsync("""
            create table public.events (at timestamptz primary key, title text);
            grant select on public.events to anon, authenticated;
            alter table public.events enable row level security;
            create policy everyone on public.events for select to anon using (true);
            """, "events", env => env["MADBASE_DATABASE_URL"] += ";Options=-c timezone=Europe/Berlin");
        var run = ctx.RunScriptAsync("realtime-changes.mjs", new() { ["all"] = 1 }, table: "events");
        await ctx.WaitForBindingsAsync(1);
        await ctx.ExecuteAsync("insert into public.events values ('2026-12-08 01:00:00+00', 'keyed by time')");

        var insert = Assert.Single((await run).GetProperty("got").GetProperty("all").EnumerateArray());
        Assert.Equal("keyed by time", insert.GetProperty("new").GetProperty("title").GetString());
    }

    /// <summary>
    /// An RLS probe that meets a transient database error (here the policy's first evaluation raises SQLSTATE 53300, too
    /// many connections) is asked again: the row was hidden for good before, counted as RLS-hidden, untold.
    /// </summary>
    [Fact]
    public async Task Changes_RlsProbeMeetsATransientError_AskedAgainNotHidden()
    {
        await using var ctx = await StartAsync(TestSql.FailsOnceFunction("fails_once", "anon") + """
            create table public.notes (id bigint primary key, title text);
            grant select on public.notes to anon, authenticated;
            alter table public.notes enable row level security;
            create policy everyone on public.notes for select to anon using (public.fails_once());
            """, "notes");
        var run = ctx.RunScriptAsync("realtime-changes.mjs", new() { ["all"] = 1 }, table: "notes");
        await ctx.WaitForBindingsAsync(1);
        await ctx.ExecuteAsync("insert into public.notes values (1, 'for everyone')");

        var insert = Assert.Single((await run).GetProperty("got").GetProperty("all").EnumerateArray());
        Assert.Equal("for everyone", insert.GetProperty("new").GetProperty("title").GetString());
    }

    [Fact]
    public async Task Changes_RlsOwnRowsPolicy_EachUserSeesOnlyOwnRows()
    {
        await using var ctx = await StartAsync("""
            create table public.notes (id bigint primary key, user_id uuid not null, title text);
            grant select on public.notes to anon, authenticated;
            alter table public.notes enable row level security;
            create policy own_notes on public.notes for select to authenticated using (user_id = auth.uid());
            """, "notes");
        var alice = Guid.NewGuid();
        var bob = Guid.NewGuid();
        var aliceRun = ctx.RunScriptAsync("realtime-changes.mjs", new() { ["all"] = 2 }, table: "notes", userToken: Tokens.User(alice));
        var bobRun = ctx.RunScriptAsync("realtime-changes.mjs", new() { ["all"] = 1 }, table: "notes", userToken: Tokens.User(bob));
        var anonRun = ctx.RunScriptAsync("realtime-changes.mjs", new() { ["all"] = 0 }, table: "notes", configure: env => env["EDGE_MIN_WAIT_MS"] = "3000");

        // Joins as anon (supabase-js often joins before its session resolves), then pushes Alice's token.
        var lateRun = ctx.RunScriptAsync("realtime-changes.mjs", new() { ["all"] = 2 }, table: "notes", configure: env => env["EDGE_LATE_USER_TOKEN"] = Tokens.User(alice));
        await ctx.WaitForBindingsAsync(4);
        await ctx.WaitForMetricAsync(@"(?m)^madbase_realtime_token_refreshes_total [1-9]");
        await ctx.ExecuteAsync($"""
            insert into public.notes values (1, '{alice}', 'a1');
            insert into public.notes values (2, '{bob}', 'b1');
            insert into public.notes values (3, '{alice}', 'a2');
            """);

        var aliceGot = (await aliceRun).GetProperty("got").GetProperty("all").EnumerateArray().ToArray();
        var bobGot = (await bobRun).GetProperty("got").GetProperty("all").EnumerateArray().ToArray();
        var anonGot = (await anonRun).GetProperty("got").GetProperty("all").EnumerateArray().ToArray();
        var lateGot = (await lateRun).GetProperty("got").GetProperty("all").EnumerateArray().ToArray();
        Assert.Equal([1L, 3L], aliceGot.Select(e => e.GetProperty("new").GetProperty("id").GetInt64()));
        Assert.Equal([2L], bobGot.Select(e => e.GetProperty("new").GetProperty("id").GetInt64()));
        Assert.Empty(anonGot);
        Assert.Equal([1L, 3L], lateGot.Select(e => e.GetProperty("new").GetProperty("id").GetInt64()));
        var metrics = await ctx.Edge.Http.GetStringAsync("/metrics");
        Assert.Matches(@"(?m)^madbase_realtime_rls_probes_total [1-9]", metrics);
    }

    [Fact]
    public async Task Changes_200ClientsBy2000Rows_AllDeliveredOnceInCommitOrder()
    {
        const int clients = 200;
        const int rows = 2000;
        await using var ctx = await StartAsync("""
            create table public.items (id bigint primary key, label text not null);
            grant select on public.items to anon, authenticated;
            """, "items");
        var env = ctx.Env(new Dictionary<string, int>(), table: "items");
        env["EDGE_CLIENTS"] = clients.ToString(CultureInfo.InvariantCulture);
        env["EDGE_ROWS"] = rows.ToString(CultureInfo.InvariantCulture);
        var run = NodeScript.RunAsync("realtime-fanout.mjs", env, s_timeout);
        await ctx.WaitForBindingsAsync(clients, TimeSpan.FromSeconds(90));

        // 40 transactions of 50 rows: order must hold across and within commits.
        for (var batch = 0; batch < rows / 50; batch++)
        {
            await ctx.ExecuteAsync($"insert into public.items select g, 'item ' || g from generate_series({(batch * 50) + 1}, {(batch + 1) * 50}) g");
        }

        var result = (await run).Json;
        Assert.Equal(clients, result.GetProperty("subscribed").GetInt32());
        Assert.Equal(clients, result.GetProperty("exact").GetInt32());
        Assert.Equal(clients, result.GetProperty("inOrder").GetInt32());
        var metrics = await ctx.Edge.Http.GetStringAsync("/metrics");
        Assert.Matches(@"(?m)^madbase_realtime_outbound_dropped_total 0$", metrics);
    }

    private static async Task<TestContext> StartAsync(string setupSql, string table, Action<Dictionary<string, string>>? configure = null)
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        var slot = RealtimeServerFixture.NewSlotName();
        var edge = await EdgeProcess.StartAsync(database, env =>
        {
            RealtimeServerFixture.Configure(env);
            env["MADBASE_SLOT"] = slot;

            // Hundreds of sockets joining on a shared 2-core box: keep the idle sweep out of the way.
            env["MADBASE_REALTIME_IDLE_TIMEOUT_MS"] = "60000";
            configure?.Invoke(env);
        });
        var context = new TestContext(edge, database, slot);

        // After start: the migrations have created the API roles and auth.uid() the policies use.
        await context.ExecuteAsync(setupSql);
        await context.ExecuteAsync($"alter publication madbase_pub add table public.{table}");
        await context.WaitForStreamingAsync();
        return context;
    }

    [GeneratedRegex(@"(?m)^madbase_realtime_postgres_bindings (\d+)")]
    private static partial Regex BindingsGauge();

    private sealed class TestContext(EdgeProcess edge, string database, string slot) : IAsyncDisposable
    {
        public EdgeProcess Edge => edge;

        public Dictionary<string, string> Env(Dictionary<string, int> expect, string table = "todos", string? userToken = null)
        {
            var env = new Dictionary<string, string>
            {
                ["EDGE_URL"] = edge.BaseUri.ToString().TrimEnd('/'),
                ["EDGE_ANON_KEY"] = Tokens.Anon,
                ["EDGE_KEY"] = Tokens.Anon,
                ["EDGE_TABLE"] = table,
                ["EDGE_EXPECT"] = JsonSerializer.Serialize(expect),
            };
            if (userToken is not null)
            {
                env["EDGE_USER_TOKEN"] = userToken;
            }

            return env;
        }

        public async Task<JsonElement> RunScriptAsync(string script, Dictionary<string, int> expect, string table = "todos", string? userToken = null, Action<Dictionary<string, string>>? configure = null)
        {
            var env = Env(expect, table, userToken);
            configure?.Invoke(env);
            return (await NodeScript.RunAsync(script, env, s_timeout)).Json;
        }

        public Task ExecuteAsync(string sql) => TestSql.ExecuteAsync(database, sql);

        public async Task WaitForBindingsAsync(int count, TimeSpan? timeout = null)
        {
            var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
            while (true)
            {
                var match = BindingsGauge().Match(await edge.Http.GetStringAsync("/metrics"));
                if (match.Success && int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) >= count)
                {
                    return;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"fewer than {count} postgres_changes bindings registered:\n{edge.Log}");
                }

                await Task.Delay(100);
            }
        }

        public async Task WaitForMetricAsync(string pattern)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!Regex.IsMatch(await edge.Http.GetStringAsync("/metrics"), pattern))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"/metrics never matched {pattern}:\n{edge.Log}");
                }

                await Task.Delay(100);
            }
        }

        public Task WaitForStreamingAsync() => edge.WaitForStreamingAsync();

        public async ValueTask DisposeAsync()
        {
            await edge.DisposeAsync();
            await RealtimeServerFixture.DropSlotAsync(database, slot);
        }
    }
}
