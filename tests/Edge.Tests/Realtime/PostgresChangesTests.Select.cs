using System.Text.Json;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>
/// Issue 15: the <c>select</c> column list of a postgres_changes binding and column privileges, through supabase-js
/// (docs/protocol/realtime.md §Column selection and privileges).
/// </summary>
public sealed partial class PostgresChangesTests
{
    private static string[] Keys(JsonElement record) => [.. record.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Changes_SelectAndColumnPrivileges_PayloadHasOnlyVisibleColumns()
    {
        await using var ctx = await StartAsync("""
            create table public.items (id bigint primary key, title text, done bool not null default false, secret text);
            grant select on public.items to anon;
            grant select (id, title, done) on public.items to authenticated;
            """, "items");
        var three = new Dictionary<string, int> { ["all"] = 3, ["selectTitle"] = 3, ["selectTitleDone"] = 3, ["selectDoneTitleInserts"] = 1 };
        var anonRun = ctx.RunScriptAsync("realtime-changes.mjs", three, table: "items",
            configure: env => env["EDGE_EXPECT_PAIRED"] = """{"selectTitle":"all"}""");
        var userRun = ctx.RunScriptAsync("realtime-changes.mjs", new() { ["all"] = 3, ["selectTitle"] = 3 }, table: "items", userToken: Tokens.User(Guid.NewGuid()));
        await ctx.WaitForBindingsAsync(7);
        await ctx.ExecuteAsync("""
            insert into public.items values (1, 'a', false, 's1');
            update public.items set title = 'b', secret = 's2' where id = 1;
            delete from public.items where id = 1;
            """);
        var anon = (await anonRun).GetProperty("got");
        var user = (await userRun).GetProperty("got");

        // anon may read every column: without select, the whole row.
        var all = anon.GetProperty("all").EnumerateArray().ToArray();
        Assert.Equal(["INSERT", "UPDATE", "DELETE"], all.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal(["done", "id", "secret", "title"], Keys(all[0].GetProperty("new")));
        Assert.Equal("s1", all[0].GetProperty("new").GetProperty("secret").GetString());

        // select: exactly the chosen columns plus the key, in new and old records alike; the order of the list does
        // not matter.
        var title = anon.GetProperty("selectTitle").EnumerateArray().ToArray();
        Assert.Equal(["INSERT", "UPDATE", "DELETE"], title.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal(["id", "title"], Keys(title[0].GetProperty("new")));
        Assert.Equal("a", title[0].GetProperty("new").GetProperty("title").GetString());
        Assert.Equal(["id", "title"], Keys(title[1].GetProperty("new")));
        Assert.Equal("b", title[1].GetProperty("new").GetProperty("title").GetString());
        Assert.Equal(["id"], Keys(title[1].GetProperty("old")));
        Assert.Equal(["id"], Keys(title[2].GetProperty("old")));
        Assert.All(title, e => Assert.Equal(JsonValueKind.Null, e.GetProperty("errors").ValueKind));
        Assert.Equal(["done", "id", "title"], Keys(anon.GetProperty("selectTitleDone")[0].GetProperty("new")));
        var inserts = anon.GetProperty("selectDoneTitleInserts").EnumerateArray().Single();
        Assert.Equal(["done", "id", "title"], Keys(inserts.GetProperty("new")));

        // One channel with a select binding and a full one: each callback gets its own payload.
        var paired = anon.GetProperty("selectTitle+all").EnumerateArray().ToArray();
        Assert.Equal(3, paired.Length);
        Assert.Equal(["done", "id", "secret", "title"], Keys(paired[0].GetProperty("new")));

        // authenticated may not read secret: it never appears, with or without select.
        var userAll = user.GetProperty("all").EnumerateArray().ToArray();
        Assert.Equal(["INSERT", "UPDATE", "DELETE"], userAll.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal(["done", "id", "title"], Keys(userAll[0].GetProperty("new")));
        Assert.Equal(["done", "id", "title"], Keys(userAll[1].GetProperty("new")));
        Assert.Equal(["id", "title"], Keys(user.GetProperty("selectTitle")[1].GetProperty("new")));
    }

    [Fact]
    public async Task Changes_KeyColumnNotReadable_Error401Payload()
    {
        await using var ctx = await StartAsync("""
            create table public.locked (id bigint primary key, title text);
            grant select (title) on public.locked to authenticated;
            """, "locked");
        var run = ctx.RunScriptAsync("realtime-changes.mjs", new() { ["all"] = 3 }, table: "locked", userToken: Tokens.User(Guid.NewGuid()));
        await ctx.WaitForBindingsAsync(1);
        await ctx.ExecuteAsync("""
            insert into public.locked values (1, 'a');
            update public.locked set title = 'b' where id = 1;
            delete from public.locked where id = 1;
            """);
        var all = (await run).GetProperty("got").GetProperty("all").EnumerateArray().ToArray();
        Assert.Equal(["INSERT", "UPDATE", "DELETE"], all.Select(e => e.GetProperty("type").GetString()));

        // Upstream: the role cannot read the key, so INSERT and UPDATE carry "Error 401: Unauthorized" and no row
        // (and no commit_timestamp); a DELETE is never checked, and its old record keeps only readable columns.
        foreach (var e in all[..2])
        {
            Assert.Equal(["Error 401: Unauthorized"], e.GetProperty("errors").EnumerateArray().Select(x => x.GetString()));
            Assert.Empty(e.GetProperty("new").EnumerateObject());
            Assert.Equal(JsonValueKind.Null, e.GetProperty("commit").ValueKind);
        }

        Assert.Equal(JsonValueKind.Null, all[2].GetProperty("errors").ValueKind);
        Assert.Empty(all[2].GetProperty("old").EnumerateObject());
    }

    [Fact]
    public async Task Join_FilterOnUnreadableOrMissingColumn_ToldAtJoin()
    {
        await using var ctx = await StartAsync("""
            create table public.items (id bigint primary key, title text, secret text);
            grant select (id, title) on public.items to authenticated;
            """, "items");
        var result = await ctx.RunScriptAsync("realtime-filter-columns.mjs", [], table: "items", userToken: Tokens.User(Guid.NewGuid()));

        // Upstream refuses such a subscription ("invalid column for filter"): the channel stays joined and is told, once
        // per column; the readable filter is not mentioned (and such a binding never fires: RlsMatrixTests).
        Assert.Equal("SUBSCRIBED", result.GetProperty("join").GetString());
        var errors = result.GetProperty("system").EnumerateArray()
            .Where(m => m.GetProperty("status").GetString() == "error")
            .Select(m => (m.GetProperty("extension").GetString(), m.GetProperty("message").GetString()))
            .ToArray();
        Assert.Equal(
            [
                ("postgres_changes", "Unable to subscribe to changes with given parameters: invalid column for filter secret"),
                ("postgres_changes", "Unable to subscribe to changes with given parameters: invalid column for filter nosuch"),
            ],
            errors);
    }
}

