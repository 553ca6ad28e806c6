using MadBase.Edge.Auth;
using MadBase.Edge.Database;
using Npgsql;

namespace MadBase.Edge.Realtime.Authorization;

/// <summary>
/// Realtime Authorization (docs/protocol/realtime.md §Private channels): evaluates the user's <c>realtime.messages</c>
/// policies for one topic the way upstream does, so the same policies (<c>realtime.topic()</c>, <c>auth.uid()</c>,
/// <c>realtime.messages.extension</c>) work unchanged. Every check runs in its own transaction that is always
/// rolled back, so no probe row is ever committed (nor replicated).
/// </summary>
internal sealed class ChannelAuthorizer(NpgsqlDataSource dataSource, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("MadBase.Edge.Realtime.Authorization.ChannelAuthorizer");

    /// <summary>PostgreSQL's insufficient_privilege: a missing grant, or a row an INSERT policy rejects.</summary>
    private const string InsufficientPrivilege = "42501";

    /// <summary>
    /// Read access: the server inserts one row per extension (<c>broadcast</c>, and <c>presence</c> when
    /// <paramref name="presence"/>) with <c>topic</c> = <paramref name="topic"/> as itself, then switches to the
    /// caller's role, claims and <c>realtime.topic</c> and selects those ids back; a row it can see grants read
    /// for that extension. A policy that fails (e.g. a bad cast) grants nothing. Connection failures throw
    /// <see cref="NpgsqlException"/>: the caller cannot tell allowed from denied then.
    /// </summary>
    /// <returns>Read grants; <c>PresenceRead</c> stays null when presence was not asked for.</returns>
    public async Task<ChannelPolicies> ReadAsync(JwtClaims claims, string topic, bool presence, CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = await DbScope.BeginAsync(dataSource, claims: null, cancellationToken);
            var broadcastId = await InsertProbeAsync(scope, topic, "broadcast", cancellationToken);
            var presenceId = presence ? await InsertProbeAsync(scope, topic, "presence", cancellationToken) : Guid.Empty;
            await scope.ActAsAsync(claims, topic, cancellationToken);
            await using var select = scope.CreateCommand("select id from realtime.messages where topic = $1 and id = any($2)");
            select.Parameters.Add(new NpgsqlParameter { Value = topic });
            select.Parameters.Add(new NpgsqlParameter { Value = presence ? new[] { broadcastId, presenceId } : new[] { broadcastId } });
            var visible = new HashSet<Guid>();
            await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    visible.Add(reader.GetGuid(0));
                }
            }

            return new ChannelPolicies(visible.Contains(broadcastId), presence ? visible.Contains(presenceId) : null, null, null);
        }
        catch (PostgresException ex) when (!PostgresErrors.IsTransient(ex))
        {
            Log.ChannelPolicyFailed(_logger, topic, claims.Role, "read", ex.MessageText);
            return new ChannelPolicies(false, presence ? false : null, null, null);
        }
    }

    /// <summary>
    /// Write access: as the caller, insert a <c>broadcast</c> and a <c>presence</c> row for the topic, each under
    /// a savepoint. insufficient_privilege (no INSERT policy lets it through, or no grant) denies that extension;
    /// any other SQL error about the statement denies it too, and is logged. A transient one (the database could
    /// not answer now: <see cref="PostgresErrors.IsTransient"/>) is thrown, never read as a denial.
    /// </summary>
    /// <returns>(broadcast write, presence write).</returns>
    public async Task<(bool Broadcast, bool Presence)> WriteAsync(JwtClaims claims, string topic, CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = await DbScope.BeginAsync(dataSource, claims: null, cancellationToken);
            await scope.ActAsAsync(claims, topic, cancellationToken);
            var broadcast = await TryInsertAsync(scope, claims, topic, "broadcast", cancellationToken);
            var presence = await TryInsertAsync(scope, claims, topic, "presence", cancellationToken);
            return (broadcast, presence);
        }
        catch (PostgresException ex) when (!PostgresErrors.IsTransient(ex))
        {
            Log.ChannelPolicyFailed(_logger, topic, claims.Role, "write", ex.MessageText); // e.g. a role that does not exist
            return (false, false);
        }
    }

    private static async Task<Guid> InsertProbeAsync(DbScope scope, string topic, string extension, CancellationToken cancellationToken)
    {
        await using var insert = scope.CreateCommand("insert into realtime.messages (topic, extension) values ($1, $2) returning id");
        insert.Parameters.Add(new NpgsqlParameter { Value = topic });
        insert.Parameters.Add(new NpgsqlParameter { Value = extension });
        return (Guid)(await insert.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task<bool> TryInsertAsync(DbScope scope, JwtClaims claims, string topic, string extension, CancellationToken cancellationToken)
    {
        // No RETURNING: that would also need a SELECT policy, and upstream checks INSERT alone.
        await scope.Transaction.SaveAsync(extension, cancellationToken);
        try
        {
            await using var insert = scope.CreateCommand("insert into realtime.messages (topic, extension) values ($1, $2)");
            insert.Parameters.Add(new NpgsqlParameter { Value = topic });
            insert.Parameters.Add(new NpgsqlParameter { Value = extension });
            await insert.ExecuteNonQueryAsync(cancellationToken);
            return true;
        }
        catch (PostgresException ex) when (!PostgresErrors.IsTransient(ex))
        {
            if (ex.SqlState != InsufficientPrivilege)
            {
                Log.ChannelPolicyFailed(_logger, topic, claims.Role, extension + " write", ex.MessageText);
            }

            await scope.Transaction.RollbackAsync(extension, cancellationToken);
            return false;
        }
    }
}
