using MadBase.Edge.Auth;

namespace MadBase.Edge.Tests.Auth;

/// <summary>
/// <see cref="DbScope"/> against a real PostgreSQL: the one-round-trip read batch runs its query as the caller, and
/// what it set ends with it, so the pooled connection it leaves behind is the server's again.
/// </summary>
public sealed class DbScopeTests
{
    private static readonly JwtClaims s_user = new("authenticated", "7d3c0f0e-0000-4000-8000-000000000001", null, null,
        """{"sub":"7d3c0f0e-0000-4000-8000-000000000001","role":"authenticated"}""");

    private const string WhoSql =
        "select current_user::text, current_setting('request.jwt.claims', true), current_setting('request.jwt.claim.sub', true), "
        + "current_setting('storage.operation', true)";

    [Fact]
    public async Task ReadBatch_RunsTheQueryAsTheCaller_AndLeavesThePooledConnectionClean()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        await TestSql.ExecuteAsync(database, "do $$ begin create role authenticated nologin; exception when duplicate_object or unique_violation then null; end $$");
        var pooled = new NpgsqlConnectionStringBuilder(database) { Pooling = true, MaxPoolSize = 1 }.ConnectionString;
        await using var dataSource = NpgsqlDataSource.Create(pooled);

        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await using var batch = DbScope.CreateReadBatch(connection, s_user, "storage.object.get_authenticated", WhoSql);
            await using var reader = await batch.ExecuteReaderAsync();
            Assert.True(await reader.NextResultAsync()); // past the settings row
            Assert.True(await reader.ReadAsync());
            Assert.Equal("authenticated", reader.GetString(0));
            Assert.Equal(s_user.RawJson, reader.GetString(1));
            Assert.Equal(s_user.Subject, reader.GetString(2));
            Assert.Equal("storage.object.get_authenticated", reader.GetString(3));
        }

        // MaxPoolSize = 1: the same physical connection. The batch was one implicit transaction; its SET LOCALs ended.
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await using var command = new NpgsqlCommand(WhoSql, connection);
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal("postgres", reader.GetString(0));
            Assert.True(reader.IsDBNull(1) || reader.GetString(1) == "", "request.jwt.claims outlived the batch");
            Assert.True(reader.IsDBNull(3) || reader.GetString(3) == "", "storage.operation outlived the batch");
        }
    }

    [Fact]
    public async Task Begin_WithClaimsAndOperation_SetsBoth_InTheTransaction()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        await TestSql.ExecuteAsync(database, "do $$ begin create role authenticated nologin; exception when duplicate_object or unique_violation then null; end $$");
        await using var dataSource = NpgsqlDataSource.Create(database);

        await using var scope = await DbScope.BeginAsync(dataSource, s_user, CancellationToken.None, "storage.object.upload");
        await using var command = scope.CreateCommand(WhoSql);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("authenticated", reader.GetString(0));
        Assert.Equal(s_user.Subject, reader.GetString(2));
        Assert.Equal("storage.object.upload", reader.GetString(3));
    }
}
