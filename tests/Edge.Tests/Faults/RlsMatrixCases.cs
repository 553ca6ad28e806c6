namespace MadBase.Edge.Tests.Faults;

/// <summary>
/// The data of the postgres_changes RLS matrix (docs/faults.md): the tables (one per policy shape), the channels each
/// role joins (a table, or a table and a filter), and the steps, each one transaction that does the same to every
/// table. Every table has REPLICA IDENTITY FULL, the case where the log carries whole old rows, so nothing the role
/// may not read is hidden by the log itself.
/// </summary>
internal static class RlsMatrixCases
{
    /// <summary>A matrix row's table: its policy shape and the SQL that sets it up ({T} is the table).</summary>
    public sealed record Table(string Name, string Policy, bool Rls, string Setup);

    /// <summary>A channel every role joins: a table, and optionally an <c>eq</c> filter (column, value).</summary>
    public sealed record Channel(string Topic, string Table, (string Column, string Value)? Filter);

    /// <summary>
    /// One transaction; <paramref name="Sql"/> runs once per table ({T}), <paramref name="Before"/> and
    /// <paramref name="After"/> once. Written rows are (id, kind) with kind INSERT, UPDATE or DELETE.
    /// </summary>
    public sealed record Step(string Name, string Sql, (long Id, string Kind)[] Changes, string Before = "", string After = "");

    public static readonly string[] Columns = ["id", "user_id", "body", "secret"];

    public static IReadOnlyList<Table> Tables { get; } =
    [
        new("rls_owner", "owner-only", true, """
            alter table {T} enable row level security;
            grant select on {T} to anon, authenticated;
            create policy own on {T} for select to authenticated using (user_id = auth.uid());
            """),
        new("rls_shared", "shared", true, """
            alter table {T} enable row level security;
            grant select on {T} to anon, authenticated;
            create policy own_or_member on {T} for select to authenticated using (
              user_id = auth.uid() or exists (select 1 from public.rls_members m where m.row_id = {T}.id and m.member = auth.uid()));
            """),
        new("rls_public", "public", true, """
            alter table {T} enable row level security;
            grant select on {T} to anon, authenticated;
            create policy everyone on {T} for select to anon, authenticated using (true);
            """),
        new("rls_deny", "deny (RLS, no policy)", true, """
            alter table {T} enable row level security;
            grant select on {T} to anon, authenticated;
            """),
        new("rls_columns", "column-restricted (no secret)", true, """
            alter table {T} enable row level security;
            grant select (id, user_id, body) on {T} to anon, authenticated;
            create policy everyone on {T} for select to anon, authenticated using (true);
            """),
        new("rls_nokey", "column-restricted (no key), no RLS", false, """
            grant select (body) on {T} to anon, authenticated;
            """),
        new("rls_nogrant", "no SELECT grant, RLS", true, """
            alter table {T} enable row level security;
            create policy everyone on {T} for select to anon, authenticated using (true);
            """),
        new("rls_nogrant_open", "no SELECT grant, no RLS", false, ""),
    ];

    public static IReadOnlyList<Channel> ChannelsFor(Guid a, Guid b) =>
    [
        .. Tables.Select(t => new Channel("realtime:t-" + t.Name, t.Name, null)),
        new("realtime:f-owner-uid-a", "rls_owner", ("user_id", a.ToString())),
        new("realtime:f-shared-uid-a", "rls_shared", ("user_id", a.ToString())),
        new("realtime:f-public-uid-b", "rls_public", ("user_id", b.ToString())),
        new("realtime:f-columns-secret", "rls_columns", ("secret", "s-a1")),
        new("realtime:f-deny-uid-a", "rls_deny", ("user_id", a.ToString())),
    ];

    /// <summary>{A} and {B} are the two users' ids.</summary>
    public static IReadOnlyList<Step> Steps { get; } =
    [
        new("insert A1 B2 A3, A3 shared with B",
            "insert into {T} values (1, '{A}', 'a1', 's-a1'), (2, '{B}', 'b2', 's-b2'), (3, '{A}', 'a3', 's-a3');",
            [(1, "INSERT"), (2, "INSERT"), (3, "INSERT")], Before: "insert into public.rls_members values (3, '{B}');"),
        new("update A1 (stays A's)", "update {T} set body = 'a1 v2' where id = 1;", [(1, "UPDATE")]),
        new("update A1 to B (out of A, into B)", "update {T} set user_id = '{B}', body = 'a1 v3' where id = 1;", [(1, "UPDATE")]),
        new("update 1 back to A", "update {T} set user_id = '{A}', body = 'a1 v4' where id = 1;", [(1, "UPDATE")]),
        new("share 1 with B, update it", "update {T} set body = 'a1 v5' where id = 1;", [(1, "UPDATE")],
            Before: "insert into public.rls_members values (1, '{B}');"),
        new("unshare 1, update it", "update {T} set body = 'a1 v6' where id = 1;", [(1, "UPDATE")],
            Before: "delete from public.rls_members where row_id = 1;"),
        new("A3 takes A1's secret (secret filter now matches it)", "update {T} set secret = 's-a1', body = 'a3 v2' where id = 3;", [(3, "UPDATE")]),
        new("delete B2", "delete from {T} where id = 2;", [(2, "DELETE")]),
        new("delete A1 and A3", "delete from {T} where id in (1, 3);", [(1, "DELETE"), (3, "DELETE")]),
        new("insert 10 rows A/B alternating, 13 (B's) shared with A",
            "insert into {T} select g, case when g % 2 = 0 then '{A}'::uuid else '{B}'::uuid end, 'r' || g, 's-' || g from generate_series(10, 19) g;",
            [.. Enumerable.Range(10, 10).Select(i => ((long)i, "INSERT"))], Before: "insert into public.rls_members values (13, '{A}');"),
        new("swap owners of 10-19 in one transaction",
            "update {T} set user_id = case when user_id = '{A}' then '{B}'::uuid else '{A}'::uuid end, body = body || ' swapped' where id between 10 and 19;",
            [.. Enumerable.Range(10, 10).Select(i => ((long)i, "UPDATE"))]),
        new("delete 10-19", "delete from {T} where id between 10 and 19;", [.. Enumerable.Range(10, 10).Select(i => ((long)i, "DELETE"))]),
    ];

    public static string SetupSql(Table table) =>
        $"""
        create table public.{table.Name} (id bigint primary key, user_id uuid not null, body text, secret text);
        alter table public.{table.Name} replica identity full;
        grant select, insert, update, delete on public.{table.Name} to service_role;
        alter publication madbase_pub add table public.{table.Name};
        {table.Setup.Replace("{T}", "public." + table.Name, StringComparison.Ordinal)}
        """;

    public const string CommonSetup =
        """
        create table public.rls_members (row_id bigint, member uuid, primary key (row_id, member));
        grant select on public.rls_members to authenticated;
        create table public.rls_barrier (id bigint primary key);
        grant select on public.rls_barrier to anon, authenticated, service_role;
        alter publication madbase_pub add table public.rls_barrier;
        """;
}
