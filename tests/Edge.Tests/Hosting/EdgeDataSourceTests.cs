using MadBase.Edge.Database;

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
}
