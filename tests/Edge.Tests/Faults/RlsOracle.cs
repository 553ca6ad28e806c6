namespace MadBase.Edge.Tests.Faults;

/// <summary>
/// What PostgreSQL itself lets a role SELECT: the same SELECT run as that role with its claims
/// (<c>set local role</c>, <c>request.jwt.claims</c>), one column at a time so a column privilege that refuses one
/// column leaves the others. This is the truth the RLS matrix compares deliveries and storage answers with.
/// </summary>
internal static class RlsOracle
{
    /// <summary>
    /// The rows of <paramref name="ids"/> in <paramref name="table"/> the role may SELECT (with <paramref name="filter"/>
    /// as a WHERE condition, column = value as text), each with the columns it may read as text (null for SQL null).
    /// A role that may not read the key sees no row at all, as <c>select id …</c> fails for it.
    /// </summary>
    public static async Task<Dictionary<long, Dictionary<string, string?>>> VisibleAsync(
        string database, RlsRole role, string table, IReadOnlyList<string> columns, long[] ids, (string Column, string Value)? filter)
    {
        var rows = new Dictionary<long, Dictionary<string, string?>>();
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await ActAsAsync(connection, transaction, role);
        var where = "id = any($1)" + (filter is { } f ? $" and \"{f.Column}\"::text = $2" : "");
        foreach (var column in columns)
        {
            await using (var savepoint = new NpgsqlCommand("savepoint probe", connection, transaction))
            {
                await savepoint.ExecuteNonQueryAsync();
            }

            try
            {
                await using var command = new NpgsqlCommand($"select id, \"{column}\"::text from public.\"{table}\" where {where}", connection, transaction);
                command.Parameters.Add(new NpgsqlParameter { Value = ids });
                if (filter is { } g)
                {
                    command.Parameters.Add(new NpgsqlParameter { Value = g.Value });
                }

                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    var id = reader.GetInt64(0);
                    if (!rows.TryGetValue(id, out var row))
                    {
                        if (column != "id")
                        {
                            continue; // only rows whose key the role may read count as visible
                        }

                        rows[id] = row = [];
                    }

                    row[column] = reader.IsDBNull(1) ? null : reader.GetString(1);
                }
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                await using var rollback = new NpgsqlCommand("rollback to savepoint probe", connection, transaction);
                await rollback.ExecuteNonQueryAsync();
                if (column == "id")
                {
                    return rows; // no key, no row
                }
            }
        }

        return rows;
    }

    /// <summary>The columns of <paramref name="table"/> the role may SELECT (<c>has_column_privilege</c>).</summary>
    public static async Task<HashSet<string>> ReadableColumnsAsync(string database, RlsRole role, string table)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            select a.attname from pg_attribute a
            where a.attrelid = to_regclass($2) and a.attnum > 0 and not a.attisdropped
              and has_column_privilege($1, a.attrelid, a.attnum, 'SELECT')
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = role.Role });
        command.Parameters.Add(new NpgsqlParameter { Value = "public." + table });
        var readable = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            readable.Add(reader.GetString(0));
        }

        return readable;
    }

    /// <summary>The rest of the transaction runs as the role with its claims, as the server's own scopes do.</summary>
    public static async Task ActAsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RlsRole role)
    {
        await using var command = new NpgsqlCommand(
            "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('request.jwt.claim.sub', $3, true)",
            connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = role.Role });
        command.Parameters.Add(new NpgsqlParameter { Value = role.ClaimsJson });
        command.Parameters.Add(new NpgsqlParameter { Value = role.Subject?.ToString() ?? "" });
        await command.ExecuteNonQueryAsync();
    }
}
