namespace MadBase.Edge.Tests.Faults;

/// <summary>
/// What PostgreSQL lets a role do to <c>storage.objects</c>, asked as that role with its claims in a transaction
/// that is always rolled back: which rows it may SELECT, and whether an upsert, a new INSERT or a DELETE of one
/// object would pass its policies. The storage matrix compares every answer of the server with this.
/// </summary>
internal static class StorageRlsOracle
{
    public static async Task<HashSet<string>> SelectableAsync(string database, RlsRole role, string bucket)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        await AsRoleAsync(database, role, async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand("select name from storage.objects where bucket_id = $1", connection, transaction);
            command.Parameters.Add(new NpgsqlParameter { Value = bucket });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                names.Add(reader.GetString(0));
            }
        });
        return names;
    }

    /// <summary>Overwriting an existing object: INSERT … ON CONFLICT DO UPDATE … RETURNING, as the upload route's upsert.</summary>
    public static Task<bool> MayUpsertAsync(string database, RlsRole role, string bucket, string name) =>
        TryAsync(database, role, """
            insert into storage.objects (bucket_id, name, owner, owner_id) values ($1, $2, $3::uuid, $3)
            on conflict (bucket_id, name) do update set owner = excluded.owner, owner_id = excluded.owner_id
            returning name
            """, bucket, name, expectRow: true);

    /// <summary>A new object: a plain INSERT (no RETURNING, which would need SELECT too).</summary>
    public static Task<bool> MayInsertAsync(string database, RlsRole role, string bucket, string name) =>
        TryAsync(database, role, "insert into storage.objects (bucket_id, name, owner, owner_id) values ($1, $2, $3::uuid, $3)", bucket, name, expectRow: false);

    /// <summary>DELETE … RETURNING: a row comes back only when the role's policies let it see and delete it.</summary>
    public static Task<bool> MayDeleteAsync(string database, RlsRole role, string bucket, string name) =>
        TryAsync(database, role, "delete from storage.objects where bucket_id = $1 and name = $2 returning name", bucket, name, expectRow: true);

    private static async Task<bool> TryAsync(string database, RlsRole role, string sql, string bucket, string name, bool expectRow)
    {
        var allowed = false;
        await AsRoleAsync(database, role, async (connection, transaction) =>
        {
            try
            {
                await using var command = new NpgsqlCommand(sql, connection, transaction);
                command.Parameters.Add(new NpgsqlParameter { Value = bucket });
                command.Parameters.Add(new NpgsqlParameter { Value = name });
                if (sql.Contains("$3", StringComparison.Ordinal))
                {
                    command.Parameters.Add(new NpgsqlParameter { Value = (object?)role.Subject?.ToString() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                }

                await using var reader = await command.ExecuteReaderAsync();
                allowed = !expectRow || await reader.ReadAsync();
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                allowed = false;
            }
        });
        return allowed;
    }

    private static async Task AsRoleAsync(string database, RlsRole role, Func<NpgsqlConnection, NpgsqlTransaction, Task> body)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var unlock = new NpgsqlCommand("select set_config('storage.allow_delete_query', 'true', true)", connection, transaction))
        {
            await unlock.ExecuteNonQueryAsync();
        }

        await RlsOracle.ActAsAsync(connection, transaction, role);
        await body(connection, transaction);
        await transaction.RollbackAsync();
    }
}
