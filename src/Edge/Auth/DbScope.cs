using Npgsql;

namespace MadBase.Edge.Auth;

/// <summary>
/// One database transaction acting as the caller: <c>SET LOCAL ROLE</c> to the JWT's role and the claims in
/// <c>request.jwt.claims</c> (plus the legacy <c>request.jwt.claim.sub/role</c>), so users' Row Level Security
/// policies and <c>auth.uid()</c> see exactly what Supabase's servers would set. Disposing without
/// <see cref="CommitAsync"/> rolls back.
/// </summary>
internal sealed class DbScope : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private bool _completed;

    private DbScope(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    public NpgsqlConnection Connection => _connection;

    public NpgsqlTransaction Transaction => _transaction;

    /// <summary>Opens a transaction as <paramref name="claims"/>' role; <c>null</c> claims act as the server itself.</summary>
    public static async Task<DbScope> BeginAsync(NpgsqlDataSource dataSource, JwtClaims? claims, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            if (claims is not null)
            {
                // set_config(..., true) is SET LOCAL: it ends with the transaction, so pooled connections stay clean.
                await using var command = new NpgsqlCommand(
                    """
                    select set_config('role', $1, true),
                           set_config('request.jwt.claims', $2, true),
                           set_config('request.jwt.claim.sub', $3, true),
                           set_config('request.jwt.claim.role', $1, true)
                    """,
                    connection,
                    transaction);
                command.Parameters.Add(new NpgsqlParameter { Value = claims.Role });
                command.Parameters.Add(new NpgsqlParameter { Value = claims.RawJson });
                command.Parameters.Add(new NpgsqlParameter { Value = claims.Subject ?? "" });
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            return new DbScope(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public NpgsqlCommand CreateCommand(string sql)
    {
        var command = new NpgsqlCommand(sql, _connection, _transaction);
        return command;
    }

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        await _transaction.CommitAsync(cancellationToken);
        _completed = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_completed)
        {
            try
            {
                await _transaction.RollbackAsync(CancellationToken.None);
            }
            catch (NpgsqlException)
            {
                // The connection is already broken; disposing it below discards the transaction anyway.
            }
            catch (InvalidOperationException)
            {
                // Already completed by an error on the server side.
            }
        }

        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
