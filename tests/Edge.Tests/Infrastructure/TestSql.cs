namespace MadBase.Edge.Tests.Infrastructure;

/// <summary>
/// Statements the end-to-end tests run on their own database, each call on a connection of its own (the test
/// databases are unpooled), so a fixture never holds a connection between steps.
/// </summary>
internal static class TestSql
{
    /// <summary>
    /// A boolean function <c>public.{name}()</c> whose first call fails as a database that cannot answer now (SQLSTATE
    /// 53300, too many connections) and whose later calls return true, for policies that must meet a transient error
    /// once. Its call count is a sequence, which a failing statement's rollback does not undo.
    /// </summary>
    public static string FailsOnceFunction(string name, string role) => $$"""
        create sequence public.{{name}}_calls;
        grant usage on sequence public.{{name}}_calls to {{role}};
        create function public.{{name}}() returns boolean language plpgsql as $$
        begin
          if nextval('public.{{name}}_calls') = 1 then
            raise exception 'simulated: too many connections' using errcode = '53300';
          end if;
          return true;
        end $$;
        """;

    /// <summary>
    /// Runs <paramref name="statements"/> in order on one connection; each may take <paramref name="timeoutSeconds"/>
    /// (null: the connection string's command timeout, Npgsql's 30 s unless it names one).
    /// </summary>
    public static async Task ExecuteAsync(string database, IEnumerable<string> statements, int? timeoutSeconds = null)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        foreach (var sql in statements)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            if (timeoutSeconds is { } seconds)
            {
                command.CommandTimeout = seconds;
            }

            await command.ExecuteNonQueryAsync();
        }
    }

    public static Task ExecuteAsync(string database, string sql, int? timeoutSeconds = null) => ExecuteAsync(database, [sql], timeoutSeconds);

    /// <summary>The first column of the first row, as the driver returns it (<see cref="DBNull"/> for SQL null).</summary>
    public static async Task<object?> ScalarAsync(string database, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return await command.ExecuteScalarAsync();
    }
}
