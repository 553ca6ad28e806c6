using System.Runtime.CompilerServices;
using MadBase.Edge.Database;
using Npgsql;
using Npgsql.Replication;

namespace MadBase.Edge.Replication;

/// <summary>
/// Opens Npgsql's logical replication connection on a slim data source (<see cref="EdgeDataSource"/>). Its public
/// constructor takes a connection string, and an <see cref="NpgsqlConnection"/> given a connection string builds a
/// full <see cref="NpgsqlDataSourceBuilder"/>: that one reference linked all of Npgsql's type mappings into the binary
/// (docs/footprint.md). So the connection is made without one, and its inner connection is replaced by one from a data
/// source whose connection string carries what <see cref="ReplicationConnection.ConnectionString"/>'s setter would
/// have added (replication mode, no pooling, no enlisting, no multiplexing, no keepalive). Pinned to Npgsql 10's
/// private field name; the replication tests fail at the first connection if a new Npgsql renames it.
/// </summary>
internal static class ReplicationConnections
{
    /// <summary>An unpooled data source for replication connections with <paramref name="connectionString"/>'s settings.</summary>
    public static NpgsqlDataSource CreateDataSource(NpgsqlConnectionStringBuilder connectionString)
    {
        connectionString.Pooling = false;
        connectionString.Enlist = false;
        connectionString.Multiplexing = false;
        connectionString.KeepAlive = 0;
        connectionString["Replication Mode"] = "Logical"; // internal in Npgsql, read from the connection string
        return EdgeDataSource.Create(connectionString.ConnectionString);
    }

    /// <summary>A closed logical replication connection on <paramref name="dataSource"/> (from <see cref="CreateDataSource"/>).</summary>
    public static LogicalReplicationConnection Create(NpgsqlDataSource dataSource)
    {
        var replication = new LogicalReplicationConnection();
        InnerConnection(replication) = dataSource.CreateConnection();
        return replication;
    }

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_npgsqlConnection")]
    private static extern ref NpgsqlConnection InnerConnection(ReplicationConnection connection);
}
