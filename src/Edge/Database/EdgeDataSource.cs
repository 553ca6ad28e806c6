using Npgsql;

namespace MadBase.Edge.Database;

/// <summary>
/// The server's Npgsql data sources, built with <see cref="NpgsqlSlimDataSourceBuilder"/> and only the features its
/// queries use, so Native AOT links no more of Npgsql than that (the full <see cref="NpgsqlDataSourceBuilder"/> roots
/// every type mapping it knows: ranges, multiranges, System.Text.Json, geometry, …; docs/footprint.md has the bytes).
/// What the slim builder always has: the basic types (numbers, text and name, bool, uuid, bytea, dates and times, json
/// and jsonb as text, oid/xid, pg_lsn). Added: arrays (text[] and bigint[] parameters, name[] and text[] columns) and
/// TLS (<c>sslmode</c> in MADBASE_DATABASE_URL). Not added: the extra conversions (every column is read as its own
/// type; the slim builder also puts them before the basic types, so an untyped string parameter became a bit
/// string), GSS/Kerberos authentication (undocumented here, and linked it loaded libkrb5 and friends at the first
/// connection). Type loading is off: Npgsql's catalog query on each data source's first connection cost PostgreSQL 18 ms
/// (pool) and 12 ms (replication session) before /ready on a loaded machine, and every value this server sends or reads is a
/// built-in type (user columns go through <c>::text</c>; pgoutput has its own catalog, ReplicationCatalog).
/// </summary>
internal static class EdgeDataSource
{
    public static NpgsqlDataSource Create(string connectionString)
    {
        var builder = new NpgsqlSlimDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.GssEncryptionMode = GssEncryptionMode.Disable;
        return builder
            .EnableArrays()
            .EnableTransportSecurity()
            .ConfigureTypeLoading(types => types.EnableTypeLoading(false))
            .Build();
    }
}
