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

    /// <summary>
    /// Opens a transaction as <paramref name="claims"/>' role; <c>null</c> claims act as the server itself. With
    /// <paramref name="storageOperation"/>, <c>storage.operation</c> is set too, for policies using
    /// <c>storage.operation()</c>. With <paramref name="utcText"/> (claims required), <c>TimeZone</c> is UTC for the
    /// transaction, so <c>timestamptz</c> values read as text match the replication stream's (pinned to UTC) whatever
    /// the database's or the connection string's time zone. One round trip: Npgsql sends the BEGIN with the settings
    /// statement.
    /// </summary>
    public static async Task<DbScope> BeginAsync(
        NpgsqlDataSource dataSource, JwtClaims? claims, CancellationToken cancellationToken, string? storageOperation = null, bool utcText = false)
    {
        if (utcText)
        {
            ArgumentNullException.ThrowIfNull(claims); // the setting rides on the claims statement
        }

        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var scope = new DbScope(connection, transaction);
            if (claims is not null || storageOperation is not null)
            {
                await using var command = new NpgsqlCommand(null, connection, transaction);
                command.CommandText = SettingsSql(command.Parameters, claims, realtimeTopic: null, storageOperation);
                if (utcText)
                {
                    command.CommandText += UtcSetting;
                }

                await command.ExecuteNonQueryAsync(cancellationToken);
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
        await using var command = new NpgsqlCommand(null, _connection, _transaction);
        command.CommandText = SettingsSql(command.Parameters, claims, realtimeTopic, storageOperation: null);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// A batch that runs <paramref name="query"/> as <paramref name="claims"/> in one round trip, without an explicit
    /// transaction: Npgsql sends a batch with a single Sync, so PostgreSQL runs it as one implicit transaction, and the
    /// SET LOCALs of the first command hold for the query and end with it. The caller adds the query's parameters to
    /// <c>BatchCommands[1]</c> and skips the first result (the settings row) with <c>NextResultAsync</c>.
    /// </summary>
    public static NpgsqlBatch CreateReadBatch(NpgsqlConnection connection, JwtClaims claims, string? storageOperation, string query)
    {
        var settings = new NpgsqlBatchCommand();
        settings.CommandText = SettingsSql(settings.Parameters, claims, realtimeTopic: null, storageOperation);
        return new NpgsqlBatch(connection) { BatchCommands = { settings, new NpgsqlBatchCommand(query) } };
    }

    /// <summary>
    /// The caller's settings as one statement. set_config(..., true) is SET LOCAL: it ends with the transaction, so
    /// pooled connections stay clean. <c>request.jwt.claim.sub/role</c> are the legacy names some policies still use.
    /// Only three shapes exist, so their texts are built once.
    /// </summary>
    private static string SettingsSql(NpgsqlParameterCollection parameters, JwtClaims? claims, string? realtimeTopic, string? storageOperation)
    {
        if (claims is not null)
        {
            parameters.Add(new NpgsqlParameter { Value = claims.Role });
            parameters.Add(new NpgsqlParameter { Value = claims.RawJson });
            parameters.Add(new NpgsqlParameter { Value = claims.Subject ?? "" });
            parameters.Add(new NpgsqlParameter { Value = realtimeTopic ?? "" });
        }

        if (storageOperation is not null)
        {
            parameters.Add(new NpgsqlParameter { Value = storageOperation });
        }

        return claims is null ? OperationSql : storageOperation is null ? ClaimsSql : ClaimsAndOperationSql;
    }

    private const string ClaimsSettings = """
        set_config('role', $1, true), set_config('request.jwt.claims', $2, true),
        set_config('request.jwt.claim.sub', $3, true), set_config('request.jwt.claim.role', $1, true),
        set_config('realtime.topic', $4, true)
        """;

    private const string ClaimsSql = "select " + ClaimsSettings;

    private const string ClaimsAndOperationSql = "select " + ClaimsSettings + ", set_config('storage.operation', $5, true)";

    private const string OperationSql = "select set_config('storage.operation', $1, true)";

    private const string UtcSetting = ", set_config('TimeZone', 'UTC', true)";

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
