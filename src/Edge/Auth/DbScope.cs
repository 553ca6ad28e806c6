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
            var scope = new DbScope(connection, transaction);
            if (claims is not null)
            {
                await scope.ActAsAsync(claims, realtimeTopic: null, cancellationToken);
            }

            return scope;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Switches the rest of the transaction to <paramref name="claims"/>' role and claims; with
    /// <paramref name="realtimeTopic"/>, also sets <c>realtime.topic</c> for <c>realtime.topic()</c> in
    /// <c>realtime.messages</c> policies. Anything done before this call ran as the server's own user.
    /// </summary>
    public async Task ActAsAsync(JwtClaims claims, string? realtimeTopic, CancellationToken cancellationToken)
    {
        // set_config(..., true) is SET LOCAL: it ends with the transaction, so pooled connections stay clean.
        await using var command = new NpgsqlCommand(
            """
            select set_config('role', $1, true),
                   set_config('request.jwt.claims', $2, true),
                   set_config('request.jwt.claim.sub', $3, true),
                   set_config('request.jwt.claim.role', $1, true),
                   set_config('realtime.topic', $4, true)
            """,
            _connection,
            _transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = claims.Role });
        command.Parameters.Add(new NpgsqlParameter { Value = claims.RawJson });
        command.Parameters.Add(new NpgsqlParameter { Value = claims.Subject ?? "" });
        command.Parameters.Add(new NpgsqlParameter { Value = realtimeTopic ?? "" });
        await command.ExecuteNonQueryAsync(cancellationToken);
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
