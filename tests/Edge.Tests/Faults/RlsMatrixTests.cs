using System.Diagnostics;
using MadBase.Edge.Tests.Realtime;
using static MadBase.Edge.Tests.Faults.RlsMatrixCases;

namespace MadBase.Edge.Tests.Faults;

/// <summary>
/// Fault matrix (docs/faults.md): role × policy for postgres_changes. Four raw sockets (anon, user A, user B,
/// service_role) each join every table of <see cref="RlsMatrixCases"/> and a few filtered channels; each step commits
/// one transaction, then a barrier row, and once every socket has the barrier, what each channel received in the step
/// is compared with what PostgreSQL itself lets that role SELECT (<see cref="RlsOracle"/>, run as the role with its
/// claims after the step, which is also the state the server's probe reads). Must hold, per role and channel:
/// INSERT/UPDATE exactly the visible rows with exactly the readable columns (0 extra, 0 lost); DELETE (upstream never
/// RLS-checks it) with an old record of the readable key only when the table has RLS, never a column the role may not
/// read, and never through a filter on a column the role may not read; a role that may not read the key gets at most
/// upstream's empty <c>Error 401: Unauthorized</c> notice.
/// </summary>
public sealed class RlsMatrixTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task PostgresChanges_RoleByPolicy_EachSubscriberGetsExactlyWhatItsRoleCanSelect()
    {
        var slot = RealtimeServerFixture.NewSlotName();
        var (database, edge) = await RealtimeServerFixture.StartEdgeAsync(slot, env => env["MADBASE_REALTIME_IDLE_TIMEOUT_MS"] = "120000");
        var subscribers = new List<RlsSubscriber>();
        try
        {
            Guid a = Guid.NewGuid(), b = Guid.NewGuid();
            await TestSql.ExecuteAsync(database, [CommonSetup, .. Tables.Select(SetupSql)]);
            await edge.WaitForStreamingAsync();
            var roles = RlsRole.Matrix(a, b);
            var channels = ChannelsFor(a, b);
            var bindings = channels.ToDictionary(c => c.Topic, Bindings);
            foreach (var role in roles)
            {
                subscribers.Add(await RlsSubscriber.JoinAsync(edge.Port, role, bindings));
            }

            var readable = new Dictionary<(string Role, string Table), HashSet<string>>();
            foreach (var role in roles)
            {
                foreach (var table in Tables)
                {
                    readable[(role.Name, table.Name)] = await RlsOracle.ReadableColumnsAsync(database, role, table.Name);
                }
            }

            var tally = new RlsTally();
            var clock = Stopwatch.StartNew();
            for (var k = 0; k < Steps.Count; k++)
            {
                var step = Steps[k];
                var deleted = step.Changes.Where(c => c.Kind == "DELETE").Select(c => c.Id).ToArray();
                var oldRows = new Dictionary<string, Dictionary<long, Dictionary<string, string?>>>();
                foreach (var table in Tables)
                {
                    oldRows[table.Name] = deleted.Length == 0 ? [] : await RlsOracle.VisibleAsync(database, RlsRole.TableOwner, table.Name, Columns, deleted, null);
                }

                await TestSql.ExecuteAsync(database, StepSql(step, a, b));
                await TestSql.ExecuteAsync(database, $"insert into public.rls_barrier values ({k + 1})");
                foreach (var subscriber in subscribers)
                {
                    Assert.True(await subscriber.WaitForBarrierAsync(k + 1, s_timeout),
                        $"{subscriber.Role.Name} never got barrier {k + 1} ({subscriber.ClosedBecause}; errors: {string.Join(" | ", subscriber.Errors)})\n{edge.Log}");
                }

                foreach (var subscriber in subscribers)
                {
                    var role = subscriber.Role;
                    foreach (var channel in channels)
                    {
                        var table = Tables.Single(t => t.Name == channel.Table);
                        var columns = readable[(role.Name, table.Name)];
                        var expected = await ExpectedAsync(database, role, table, channel, step, columns, oldRows[table.Name]);
                        var received = subscriber.Events.Where(e => e.Topic == channel.Topic && e.Step == k).Select(e => e.Data).ToList();
                        tally.Check(channel.Topic, role.Name, step.Name, step.Changes.Length, expected, received, columns);
                    }
                }
            }

            var output = TestContext.Current.TestOutputHelper;
            output?.WriteLine(tally.Table(channels.Select(c => (c.Topic, Describe(c))).ToList(), roles.Select(r => r.Name).ToList()));
            foreach (var problem in tally.Problems.Take(40))
            {
                output?.WriteLine(problem);
            }

            FaultServer.Report("rls-postgres-changes",
                ("roles", roles.Count), ("tables", Tables.Count), ("channels", channels.Count), ("steps", Steps.Count),
                ("rows_checked", tally.Checked), ("delivered", tally.Delivered), ("unauthorized_notices", tally.Notices),
                ("leaked", tally.Extra), ("wrong_columns", tally.WrongShape), ("lost", tally.Lost),
                ("join_errors", subscribers.Sum(s => s.Errors.Count)), ("seconds", clock.Elapsed.TotalSeconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)));
            Assert.True(tally.Problems.Count == 0, string.Join("\n", tally.Problems.Take(20)));
            Assert.All(subscribers, s => Assert.Null(s.ClosedBecause));
        }
        finally
        {
            foreach (var subscriber in subscribers)
            {
                await subscriber.DisposeAsync();
            }

            await RealtimeServerFixture.StopEdgeAsync(edge, database, slot);
        }
    }

    /// <summary>
    /// What one channel of one role must receive for one step: INSERT/UPDATE rows PostgreSQL shows the role (with the
    /// channel's filter as a WHERE condition), with the columns it shows; DELETEs whose old row passes the filter on
    /// columns the role may read, carrying the readable key (RLS tables, upstream's rule) or the readable columns.
    /// </summary>
    private static async Task<List<RlsTally.Expected>> ExpectedAsync(string database, RlsRole role, Table table, Channel channel, Step step,
        HashSet<string> readable, Dictionary<long, Dictionary<string, string?>> oldRows)
    {
        var expected = new List<RlsTally.Expected>();
        var written = step.Changes.Where(c => c.Kind != "DELETE").ToArray();
        if (written.Length > 0)
        {
            var visible = await RlsOracle.VisibleAsync(database, role, table.Name, Columns, [.. written.Select(c => c.Id)], channel.Filter);
            foreach (var (id, kind) in written)
            {
                if (visible.TryGetValue(id, out var row))
                {
                    expected.Add(new(kind, id, row));
                }
            }
        }

        foreach (var (id, kind) in step.Changes.Where(c => c.Kind == "DELETE"))
        {
            var old = oldRows[id];
            if (channel.Filter is { } filter && (!readable.Contains(filter.Column) || old[filter.Column] != filter.Value))
            {
                continue;
            }

            var shown = old.Where(c => readable.Contains(c.Key) && (!table.Rls || c.Key == "id")).ToDictionary(c => c.Key, c => c.Value);
            expected.Add(new(kind, shown.ContainsKey("id") ? id : null, shown));
        }

        return expected;
    }

    private static string StepSql(Step step, Guid a, Guid b)
    {
        var sql = new StringBuilder("begin;\n").Append(step.Before).Append('\n');
        foreach (var table in Tables)
        {
            sql.Append(step.Sql.Replace("{T}", "public." + table.Name, StringComparison.Ordinal)).Append('\n');
        }

        sql.Append(step.After).Append("\ncommit;");
        return sql.ToString().Replace("{A}", a.ToString(), StringComparison.Ordinal).Replace("{B}", b.ToString(), StringComparison.Ordinal);
    }

    private static string Bindings(Channel channel) =>
        channel.Filter is { } f
            ? $$"""[{"event":"*","schema":"public","table":"{{channel.Table}}","filter":"{{f.Column}}=eq.{{f.Value}}"}]"""
            : $$"""[{"event":"*","schema":"public","table":"{{channel.Table}}"}]""";

    private static string Describe(Channel channel)
    {
        var table = Tables.Single(t => t.Name == channel.Table);
        return channel.Filter is { } f ? $"{table.Policy} + filter {f.Column}=eq" : table.Policy;
    }
}
