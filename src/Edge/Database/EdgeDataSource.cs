using Npgsql;

namespace MadBase.Edge.Database;

/// <summary>
/// The server's Npgsql data sources, built with <see cref="NpgsqlSlimDataSourceBuilder"/> and only the features its
/// queries use, so Native AOT links no more of Npgsql than that (the full <see cref="NpgsqlDataSourceBuilder"/> roots
/// every type mapping it knows: ranges, multiranges, System.Text.Json, geometry, …; docs/footprint.md has the bytes).
/// What the slim builder always has: the basic types (numbers, text and name, bool, uuid, bytea, dates and times, json
/// and jsonb as text, oid/xid, pg_lsn). Added: arrays (text[] and bigint[] parameters, name[] and text[] columns),
/// the extra conversions (an int4 read as long and the like), TLS (<c>SSL Mode</c> in MADBASE_DATABASE_URL) and
/// GSS/Kerberos authentication, which the full builder offers and a deployment may rely on.
/// </summary>
internal static class EdgeDataSource
{
    public static NpgsqlDataSource Create(string connectionString) =>
        new NpgsqlSlimDataSourceBuilder(connectionString)
            .EnableArrays()
            .EnableTransportSecurity()
            .Build();
}
