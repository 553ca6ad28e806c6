using Microsoft.Extensions.Logging.Abstractions;

namespace MadBase.Edge.Tests.Hosting;

public sealed class MigrationTests
{
    [Fact]
    public async Task Start_TwoProcessesAtOnce_ApplyEachMigrationExactlyOnce()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();

        var first = EdgeProcess.StartAsync(database);
        var second = EdgeProcess.StartAsync(database);
        await using var a = await first;
        await using var b = await second;

        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        var versions = await QueryListAsync<int>(connection, "select version from madbase.schema_migrations order by version");
        Assert.Equal(versions.Distinct().Count(), versions.Count);
        Assert.Equal(MadBase.Edge.Database.MigrationCatalog.All.Select(m => m.Version), versions);
        Assert.Contains("Applied migration", a.Log + b.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_SecondTime_AppliesNothingAndStaysReady()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        await using (var edge = await EdgeProcess.StartAsync(database))
        {
            Assert.Equal(0, await edge.StopAsync(TimeSpan.FromSeconds(15)));
        }

        await using var again = await EdgeProcess.StartAsync(database);
        Assert.DoesNotContain("Applied migration", again.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_FreshDatabase_CreatesSupabaseStorageSchemaRolesAndPublication()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        await using var edge = await EdgeProcess.StartAsync(database, env => env["MADBASE_PUBLICATION"] = "custom_pub");

        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        var objectColumns = await QueryListAsync<string>(
            connection,
            "select column_name || ':' || udt_name from information_schema.columns where table_schema = 'storage' and table_name = 'objects'");
        foreach (var expected in new[]
        {
            "id:uuid", "bucket_id:text", "name:text", "owner:uuid", "created_at:timestamptz", "updated_at:timestamptz",
            "last_accessed_at:timestamptz", "metadata:jsonb", "path_tokens:_text", "version:text", "owner_id:text",
            "user_metadata:jsonb",
        })
        {
            Assert.Contains(expected, objectColumns);
        }

        var bucketColumns = await QueryListAsync<string>(
            connection,
            "select column_name || ':' || udt_name from information_schema.columns where table_schema = 'storage' and table_name = 'buckets'");
        foreach (var expected in new[] { "id:text", "name:text", "public:bool", "file_size_limit:int8", "allowed_mime_types:_text", "owner_id:text" })
        {
            Assert.Contains(expected, bucketColumns);
        }

        Assert.Equal(3, await ScalarAsync<long>(connection, "select count(*) from pg_roles where rolname in ('anon', 'authenticated', 'service_role')"));
        Assert.True(await ScalarAsync<bool>(connection, "select rolbypassrls from pg_roles where rolname = 'service_role'"));
        Assert.Equal(1L, await ScalarAsync<long>(connection, "select count(*) from pg_publication where pubname = 'custom_pub'"));
        Assert.True(await ScalarAsync<bool>(connection, "select relrowsecurity from pg_class where oid = 'storage.objects'::regclass"));
        Assert.Equal(new[] { "a", "b" }, await ScalarAsync<string[]>(connection, "select storage.foldername('a/b/c.png')"));
        Assert.Equal("gz", await ScalarAsync<string>(connection, "select storage.extension('x.tar.gz')"));

        // auth.uid() reads the claims the server sets per request.
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var set = new NpgsqlCommand("select set_config('request.jwt.claims', '{\"sub\":\"7f9c6e43-7a2b-4a8e-9d2c-1f0e5a6b3c4d\",\"role\":\"authenticated\"}', true)", connection, transaction))
        {
            await set.ExecuteNonQueryAsync();
        }

        await using var uid = new NpgsqlCommand("select auth.uid()::text || ' ' || auth.role()", connection, transaction);
        Assert.Equal("7f9c6e43-7a2b-4a8e-9d2c-1f0e5a6b3c4d authenticated", await uid.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Start_FreshDatabase_CreatesRealtimeAuthorizationSchemaAndPublishesMessages()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        await using var edge = await EdgeProcess.StartAsync(database);

        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        var columns = await QueryListAsync<string>(
            connection,
            "select column_name || ':' || udt_name from information_schema.columns where table_schema = 'realtime' and table_name = 'messages' order by ordinal_position");
        Assert.Equal(
            ["topic:text", "extension:text", "payload:jsonb", "event:text", "private:bool", "updated_at:timestamp", "inserted_at:timestamp", "id:uuid", "binary_payload:bytea"],
            columns);
        Assert.True(await ScalarAsync<bool>(connection, "select relrowsecurity from pg_class where oid = 'realtime.messages'::regclass"));
        foreach (var role in new[] { "anon", "authenticated", "service_role" })
        {
            Assert.True(await ScalarAsync<bool>(connection, $"select has_table_privilege('{role}', 'realtime.messages', 'select, insert, update')"));
            Assert.True(await ScalarAsync<bool>(connection, $"select has_function_privilege('{role}', 'realtime.topic()', 'execute')"));
            Assert.True(await ScalarAsync<bool>(connection, $"select has_function_privilege('{role}', 'realtime.send_binary(bytea, text, text, boolean)', 'execute')"));
            Assert.True(await ScalarAsync<bool>(connection, $"select has_function_privilege('{role}', 'realtime.broadcast_changes(text, text, text, text, text, record, record, text)', 'execute')"));
        }

        Assert.Equal(1L, await ScalarAsync<long>(connection, "select count(*) from pg_publication_tables where pubname = 'madbase_pub' and schemaname = 'realtime' and tablename = 'messages'"));

        // realtime.topic() reads what the server sets for policy checks; realtime.send() stores a broadcast row.
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var set = new NpgsqlCommand("select set_config('realtime.topic', 'room-1', true)", connection, transaction))
        {
            await set.ExecuteNonQueryAsync();
        }

        await using (var topic = new NpgsqlCommand("select realtime.topic()", connection, transaction))
        {
            Assert.Equal("room-1", await topic.ExecuteScalarAsync());
        }

        await using (var send = new NpgsqlCommand("select realtime.send('{\"a\":1}', 'ev', 'room-2')", connection, transaction))
        {
            await send.ExecuteNonQueryAsync();
        }

        await using var row = new NpgsqlCommand("select extension || ' ' || event || ' ' || private || ' ' || (payload ->> 'id' = id::text) from realtime.messages where topic = 'room-2'", connection, transaction);
        Assert.Equal("broadcast ev true true", await row.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Start_ExistingAuthUid_KeepsUsersFunction()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand(
                "create schema auth; create function auth.uid() returns uuid language sql stable as $$ select '00000000-0000-0000-0000-000000000001'::uuid $$",
                connection);
            await create.ExecuteNonQueryAsync();
        }

        await using var edge = await EdgeProcess.StartAsync(database);

        await using var check = new NpgsqlConnection(database);
        await check.OpenAsync();
        Assert.Equal("00000000-0000-0000-0000-000000000001", await ScalarAsync<string>(check, "select auth.uid()::text"));
    }

    [Fact]
    public async Task Apply_EverythingApplied_AnswersWithoutTheMigrationLock()
    {
        var (migrator, database) = await MigratedAsync();
        await using var holder = new NpgsqlConnection(database);
        await holder.OpenAsync();
        await ScalarAsync<object>(holder, $"select pg_advisory_lock({MadBase.Edge.Database.Migrator.AdvisoryLockKey})::text"); // another process migrating

        // A restart finds everything applied in one query: it does not queue behind the lock (it did before).
        await migrator.ApplyAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Apply_AMigrationNotRecorded_TakesTheLockAndAppliesIt()
    {
        var (migrator, database) = await MigratedAsync();
        await using var holder = new NpgsqlConnection(database);
        await holder.OpenAsync();
        var last = MadBase.Edge.Database.MigrationCatalog.All[^1];
        await ScalarAsync<object>(holder, $"delete from madbase.schema_migrations where version = {last.Version} returning 'x'");
        await ScalarAsync<object>(holder, $"select pg_advisory_lock({MadBase.Edge.Database.Migrator.AdvisoryLockKey})::text");

        var applying = migrator.ApplyAsync(TestContext.Current.CancellationToken);
        await Task.Delay(500, TestContext.Current.CancellationToken);
        Assert.False(applying.IsCompleted); // waits its turn: something is missing
        await ScalarAsync<object>(holder, $"select pg_advisory_unlock({MadBase.Edge.Database.Migrator.AdvisoryLockKey})::text");
        await applying.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Contains(last.Version, await QueryListAsync<int>(holder, "select version from madbase.schema_migrations"));
    }

    private static async Task<(MadBase.Edge.Database.Migrator Migrator, string Database)> MigratedAsync()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        var settings = new Dictionary<string, string>(StringComparer.Ordinal) { ["MADBASE_JWT_SECRET"] = TestEnvironment.JwtSecret };
        var options = MadBase.Edge.Configuration.EdgeOptionsParser.Parse([], name => settings.GetValueOrDefault(name));
        var dataSource = MadBase.Edge.Database.EdgeDataSource.Create(database);
        var migrator = new MadBase.Edge.Database.Migrator(dataSource, options, NullLoggerFactory.Instance);
        await migrator.ApplyAsync(TestContext.Current.CancellationToken);
        return (migrator, database);
    }

    private static async Task<List<T>> QueryListAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var list = new List<T>();
        while (await reader.ReadAsync())
        {
            list.Add(reader.GetFieldValue<T>(0));
        }

        return list;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
