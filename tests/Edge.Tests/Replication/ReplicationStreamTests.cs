using System.Text.Json;

namespace MadBase.Edge.Tests.Replication;

/// <summary>
/// The replication stream end to end, observed through the durable change log (MADBASE_CHANGE_LOG), which holds
/// exactly the <c>data</c> JSON every realtime subscriber receives.
/// </summary>
public sealed class ReplicationStreamTests
{
    [Fact]
    public async Task Stream_InsertUpdateDeleteTruncate_DefaultIdentity_EmitsSupabasePayloads()
    {
        await using var fixture = await Fixture.StartAsync("create table items(id bigint primary key, name text, qty int, big text)");
        await fixture.ExecuteAsync(
            "insert into items select 1, 'a', 10, string_agg(md5(g::text), '') from generate_series(1, 400) g",
            "insert into items values (2, 'b', 20, null)",
            "update items set qty = 11 where id = 1",
            "update items set id = 3 where id = 2",
            "delete from items where id = 1",
            "truncate items");

        var entries = await fixture.WaitForChangesAsync(6);
        var types = entries.Select(e => e.Data.GetProperty("type").GetString()).ToArray();
        Assert.Equal(["INSERT", "INSERT", "UPDATE", "UPDATE", "DELETE", "TRUNCATE"], types);

        var insert = entries[0].Data;
        Assert.Equal("public", insert.GetProperty("schema").GetString());
        Assert.Equal("items", insert.GetProperty("table").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", insert.GetProperty("commit_timestamp").GetString());
        Assert.Equal(JsonValueKind.Null, insert.GetProperty("errors").ValueKind);
        Assert.Equal("id:int8 name:text qty:int4 big:text", string.Join(' ', insert.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString() + ":" + c.GetProperty("type").GetString())));
        Assert.Equal(1, insert.GetProperty("record").GetProperty("id").GetInt64());
        Assert.Equal(10, insert.GetProperty("record").GetProperty("qty").GetInt32());
        Assert.Equal(JsonValueKind.Null, entries[1].Data.GetProperty("record").GetProperty("big").ValueKind);

        // Key unchanged, DEFAULT identity: no old tuple was logged; old_record still carries the key. The TOASTed
        // 'big' was not sent: it is absent (and listed), never null.
        var update = entries[2].Data;
        Assert.Equal("{\"id\":1}", update.GetProperty("old_record").GetRawText());
        Assert.False(update.GetProperty("record").TryGetProperty("big", out _));
        Assert.Equal("[\"big\"]", update.GetProperty("unchanged_toast").GetRawText());

        // Key changed: the old key arrives in a 'K' tuple.
        Assert.Equal("{\"id\":2}", entries[3].Data.GetProperty("old_record").GetRawText());
        Assert.Equal(3, entries[3].Data.GetProperty("record").GetProperty("id").GetInt64());
        Assert.Equal("{\"id\":1}", entries[4].Data.GetProperty("old_record").GetRawText());
        Assert.False(entries[4].Data.TryGetProperty("record", out _));
    }

    [Fact]
    public async Task Stream_ReplicaIdentityFull_OldRecordHasAllColumnsAndToastFilled()
    {
        await using var fixture = await Fixture.StartAsync(
            "create table items(id bigint primary key, name text, big text); alter table items replica identity full");
        await fixture.ExecuteAsync(
            "insert into items select 1, 'a', string_agg(md5(g::text), '') from generate_series(1, 400) g",
            "update items set name = 'b'",
            "delete from items");

        var entries = await fixture.WaitForChangesAsync(3);
        var update = entries[1].Data;
        Assert.Equal("a", update.GetProperty("old_record").GetProperty("name").GetString());
        Assert.Equal(12800, update.GetProperty("record").GetProperty("big").GetString()!.Length);
        Assert.Equal(12800, update.GetProperty("old_record").GetProperty("big").GetString()!.Length);
        Assert.Equal("b", entries[2].Data.GetProperty("old_record").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Stream_AlterTableAddColumnBetweenTransactions_NewColumnAppears()
    {
        await using var fixture = await Fixture.StartAsync("create table items(id bigint primary key)");
        await fixture.ExecuteAsync(
            "insert into items values (1)",
            "alter table items add column tags text[] default '{a,b}'",
            "insert into items values (2)");

        var entries = await fixture.WaitForChangesAsync(2);
        Assert.Single(entries[0].Data.GetProperty("columns").EnumerateArray());
        Assert.Equal("_text", entries[1].Data.GetProperty("columns")[1].GetProperty("type").GetString());
        Assert.Equal("[\"a\",\"b\"]", entries[1].Data.GetProperty("record").GetProperty("tags").GetRawText());
    }

    [Fact]
    public async Task Stream_TableWithoutPrimaryKey_EmitsError400Payload()
    {
        await using var fixture = await Fixture.StartAsync("create table loose(v text); alter table loose replica identity full");
        await fixture.ExecuteAsync("insert into loose values ('x')");

        var data = (await fixture.WaitForChangesAsync(1))[0].Data;
        Assert.Equal("[\"Error 400: Bad Request, no primary key\"]", data.GetProperty("errors").GetRawText());
        Assert.Equal("{}", data.GetProperty("record").GetRawText());
        Assert.Equal(JsonValueKind.Null, data.GetProperty("commit_timestamp").ValueKind);
    }

    [Fact]
    public async Task Stream_EveryColumnType_RecordEqualsToJsonbOfTheRow()
    {
        await using var fixture = await Fixture.StartAsync(
            """
            create type mood as enum ('sad', 'happy');
            create domain posint as int4 check (value > 0);
            create table typed(
              id bigint primary key, b bool, i2 int2, i4 int4, f4 float4, f8 float8, f8nan float8, n numeric, nnan numeric,
              m money, t text, c char(4), by bytea, u uuid, d date, ts timestamp, tstz timestamptz, tm time, tmtz timetz,
              iv interval, j json, jb jsonb, ai int4[], at text[], ajb jsonb[], r int4range, ip inet, e mood, dm posint,
              nul text)
            """);
        await fixture.ExecuteAsync(
            """
            insert into typed values (
              1, true, -32768, 2147483647, 0.1, 1e308, 'NaN', 12345678901234567890.000000000123, 'Infinity',
              '12.34', E'tab\t "q" \\ é 😀', 'ab', '\x00ff10', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2024-02-29',
              '2024-02-29 13:45:01.123456', '2024-06-01 10:00:00+05:45', '23:59:59.999999', '10:00:00+02', '1 day 04:05:06.789',
              '{"a": 1, "b": [1,2]}', '{"b": [1, 2], "a": 1}', '{1,NULL,3}', '{"a b",NULL,"c\"d"}', array['{"k": "v"}'::jsonb],
              '[1,10)', '192.168.0.1/24', 'happy', 7, null)
            """);

        var record = (await fixture.WaitForChangesAsync(1))[0].Data.GetProperty("record");
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(fixture.Database) { Timezone = "UTC" }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select to_jsonb(r0)::text from typed r0", connection);
        var expected = JsonDocument.Parse((string)(await command.ExecuteScalarAsync())!).RootElement;

        foreach (var column in expected.EnumerateObject())
        {
            Assert.True(record.TryGetProperty(column.Name, out var actual), $"{column.Name} missing from {record}");
            Assert.True(JsonElement.DeepEquals(column.Value, actual), $"{column.Name}: to_jsonb {column.Value.GetRawText()} vs streamed {actual.GetRawText()}");
        }
    }

    [Fact]
    public async Task Stream_WalsenderTerminated_ReconnectsAndLosesNothing()
    {
        await using var fixture = await Fixture.StartAsync("create table items(id bigint primary key)");
        await fixture.ExecuteAsync("insert into items select generate_series(1, 100)");
        await fixture.WaitForChangesAsync(100);

        await fixture.ExecuteAsync($"select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = '{EdgeProcess.SlotFor(fixture.Database)}'");
        await fixture.ExecuteAsync("insert into items select generate_series(101, 200)");

        var ids = (await fixture.WaitForChangesAsync(200)).Select(e => e.Data.GetProperty("record").GetProperty("id").GetInt64()).ToArray();
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), ids);
        Assert.Contains("reconnecting", fixture.Edge.Log, StringComparison.Ordinal);
    }

    internal sealed class Fixture : IAsyncDisposable
    {
        private Fixture(string database, string logPath)
        {
            Database = database;
            LogPath = logPath;
        }

        public string Database { get; }

        public string DatabaseName => new NpgsqlConnectionStringBuilder(Database).Database!;

        public string LogPath { get; }

        public EdgeProcess Edge { get; set; } = null!;

        public Action<Dictionary<string, string>> Configure => env => env["MADBASE_CHANGE_LOG"] = LogPath;

        public static async Task<Fixture> StartAsync(string schemaSql)
        {
            var database = await TestEnvironment.CreateDatabaseAsync();
            var fixture = new Fixture(database, Path.Combine(TestEnvironment.WorkDir, "changes-" + Guid.NewGuid().ToString("N")[..8] + ".ndjson"));
            fixture.Edge = await EdgeProcess.StartAsync(database, fixture.Configure);
            var tables = string.Join(", ", await fixture.CreateSchemaAsync(schemaSql));
            await fixture.ExecuteAsync($"alter publication madbase_pub add table {tables}");

            await fixture.Edge.WaitForStreamingAsync();
            return fixture;
        }

        public Task ExecuteAsync(params string[] statements) => TestSql.ExecuteAsync(Database, statements);

        public async Task<List<ChangeLogReader.Entry>> WaitForChangesAsync(int count, TimeSpan? timeout = null)
        {
            // Generous: every walsender reads the whole test cluster's WAL, and other test classes write a lot of it.
            var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(180));
            while (true)
            {
                var entries = ChangeLogReader.ReadCommitted(LogPath);
                if (entries.Count >= count)
                {
                    return entries;
                }

                if (DateTime.UtcNow > deadline)
                {
                    var slot = await ReplicationSlotTests.ScalarAsync<string>(
                        Database,
                        "select format('active %s, restart %s, confirmed %s, current %s', active, restart_lsn, confirmed_flush_lsn, pg_current_wal_lsn()) from pg_replication_slots where slot_name = $1",
                        EdgeProcess.SlotFor(Database));
                    Assert.Fail($"{entries.Count} of {count} changes logged in time (slot: {slot})\n{Edge.Log}");
                }

                await Task.Delay(100);
            }
        }

        public async ValueTask DisposeAsync() => await Edge.DisposeAsync();

        private async Task<List<string>> CreateSchemaAsync(string schemaSql)
        {
            await ExecuteAsync(schemaSql);
            await using var connection = new NpgsqlConnection(Database);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("select relname from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace", connection);
            await using var reader = await command.ExecuteReaderAsync();
            var tables = new List<string>();
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }

            return tables;
        }
    }
}
