using MadBase.Edge.Database;
using Microsoft.Extensions.DependencyInjection;

namespace MadBase.Edge.Tests.Hosting;

/// <summary>The data sources' connection settings that are the server's choice, not the operator's.</summary>
[Trait("Kind", "InProcess")]
public sealed class EdgeDataSourceTests
{
    [Fact]
    public void Create_AnyConnectionString_NoGssEncryptionAttempt()
    {
        // Without GSS linked (the slim builder), "prefer" made Npgsql give up on a first socket and connect again:
        // two PostgreSQL backends forked for every connection the server opened.
        using var dataSource = EdgeDataSource.Create("Host=127.0.0.1;Port=5432;Username=postgres;Database=postgres");

        Assert.Equal(GssEncryptionMode.Disable, new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).GssEncryptionMode);
    }

    [Theory]
    [InlineData(1, 4)]
    [InlineData(2, 4)]
    [InlineData(8, 16)]
    public void PoolDefaults_Silent_PoolOfTwoPerCoreAndPreparedStatements(int cores, int expectedPool)
    {
        var applied = new NpgsqlConnectionStringBuilder(PoolDefaults.Apply("Host=127.0.0.1;Username=postgres", cores));

        Assert.Equal(expectedPool, applied.MaxPoolSize);
        Assert.Equal(PoolDefaults.AutoPrepared, applied.MaxAutoPrepare);
        Assert.Equal("127.0.0.1", applied.Host);
    }

    [Theory]
    [InlineData("Maximum Pool Size=100;Max Auto Prepare=0")] // Npgsql's own defaults, written out: kept, not replaced
    [InlineData("MaxPoolSize=100;MaxAutoPrepare=0")]
    [InlineData("maximum pool size=100;max auto prepare=0")]
    public void PoolDefaults_Written_OperatorsValuesKept(string settings)
    {
        var applied = new NpgsqlConnectionStringBuilder(PoolDefaults.Apply("Host=127.0.0.1;" + settings, processorCount: 2));

        Assert.Equal(100, applied.MaxPoolSize);
        Assert.Equal(0, applied.MaxAutoPrepare);
    }

    [Fact]
    public void PoolDefaults_OneWritten_OtherDefaulted()
    {
        var applied = new NpgsqlConnectionStringBuilder(PoolDefaults.Apply("Host=127.0.0.1;Maximum Pool Size=30", processorCount: 2));

        Assert.Equal(30, applied.MaxPoolSize);
        Assert.Equal(PoolDefaults.AutoPrepared, applied.MaxAutoPrepare);
    }

    [Fact]
    public async Task Server_DatabaseUrlSilentOnThePool_ItsDataSourceHasTheDefaults()
    {
        var directory = Directory.CreateTempSubdirectory("madbase-pool-defaults-");
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["MADBASE_JWT_SECRET"] = TestEnvironment.JwtSecret,
            ["MADBASE_LISTEN"] = "http://127.0.0.1:1", // never started: only the container is built
            ["MADBASE_DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/postgres",
            ["MADBASE_STORAGE_DIR"] = Path.Combine(directory.FullName, "storage"),
            ["MADBASE_SCRATCH_DIR"] = Path.Combine(directory.FullName, "scratch"),
        };

        await using (var app = MadBase.Edge.Hosting.Program.Build(MadBase.Edge.Configuration.EdgeOptionsParser.Parse([], name => settings.GetValueOrDefault(name))))
        {
            var applied = new NpgsqlConnectionStringBuilder(app.Services.GetRequiredService<NpgsqlDataSource>().ConnectionString);

            Assert.Equal(Math.Max(PoolDefaults.MinPoolSize, 2 * Environment.ProcessorCount), applied.MaxPoolSize);
            Assert.Equal(PoolDefaults.AutoPrepared, applied.MaxAutoPrepare);
        }

        directory.Delete(recursive: true);
    }
}
