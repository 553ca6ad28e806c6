using Npgsql;

namespace MadBase.Edge.Database;

/// <summary>
/// Which columns of a table a role may SELECT (<c>has_column_privilege</c>, so table and column grants both count), in
/// one query. It lives here, once, because two areas ask exactly this and must agree on what "readable" means: the
/// join's filter check (<c>Realtime.Authorization.FilterColumnCheck</c>) and the router's per-change column privileges
/// (<c>Realtime.Routing.ColumnAccess</c>); both depend on this folder, never the reverse. Each keeps its own cache and
/// its own rule for failures.
/// </summary>
internal static class ColumnPrivileges
{
    // One row per name, in the order given, while the role and the table exist; no row otherwise. A name the table
    // lacks (or a dropped or system column) is not readable.
    private const string Sql = """
        select coalesce((select has_column_privilege(r.oid, a.attrelid, a.attnum, 'SELECT')
                           from pg_attribute a
                          where a.attrelid = to_regclass($2) and a.attname = n.name and a.attnum > 0
                            and not a.attisdropped), false)
          from unnest($3::text[]) with ordinality as n(name, i)
          join pg_roles r on r.rolname = $1
         where to_regclass($2) is not null
         order by n.i
        """;

    /// <summary>
    /// Per name in <paramref name="columns"/>, in order, whether <paramref name="role"/> may SELECT that column of
    /// <paramref name="schema"/>.<paramref name="table"/>; null when the role or the table does not exist. Database
    /// errors are the caller's to handle.
    /// </summary>
    public static async Task<bool[]?> ReadableAsync(NpgsqlDataSource dataSource, string role, string schema, string table,
        string[] columns, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(Sql);
        command.Parameters.Add(new NpgsqlParameter { Value = role });
        command.Parameters.Add(new NpgsqlParameter { Value = SqlNames.QualifiedName(schema, table) });
        command.Parameters.Add(new NpgsqlParameter { Value = columns, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var readable = new bool[columns.Length];
        var rows = 0;
        for (; rows < readable.Length && await reader.ReadAsync(cancellationToken); rows++)
        {
            readable[rows] = reader.GetBoolean(0);
        }

        return rows == 0 && columns.Length > 0 ? null : readable;
    }
}
