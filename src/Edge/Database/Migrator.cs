using Npgsql;

namespace MadBase.Edge.Database;

/// <summary>
/// Applies <see cref="MigrationCatalog"/> steps that are not yet recorded in <c>madbase.schema_migrations</c>,
/// each in its own transaction, under a session advisory lock so that processes starting together take turns
/// (the second finds everything applied). Then creates the publication when it is absent.
/// </summary>
internal sealed class Migrator(NpgsqlDataSource dataSource, EdgeOptions options, ILogger<Migrator> logger)
{
    /// <summary>Arbitrary but fixed: every MadBase process agrees on it. Advisory locks are per database.</summary>
    private const long AdvisoryLockKey = 0x4d61_6442_6173_6501; // "MadBase" + 1

    public async Task ApplyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, null, $"select pg_advisory_lock({AdvisoryLockKey})", cancellationToken);
        try
        {
            await ExecuteAsync(
                connection,
                null,
                """
                create schema if not exists madbase;
                create table if not exists madbase.schema_migrations (
                  version integer primary key,
                  name text not null,
                  applied_at timestamptz not null default now()
                );
                """,
                cancellationToken);

            var applied = new HashSet<int>();
            await using (var command = new NpgsqlCommand("select version from madbase.schema_migrations", connection))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    applied.Add(reader.GetInt32(0));
                }
            }

            foreach (var migration in MigrationCatalog.All.Where(m => !applied.Contains(m.Version)))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken);
                await using (var record = new NpgsqlCommand("insert into madbase.schema_migrations (version, name) values ($1, $2)", connection, transaction))
                {
                    record.Parameters.Add(new NpgsqlParameter { Value = migration.Version });
                    record.Parameters.Add(new NpgsqlParameter { Value = migration.Name });
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
                Log.MigrationApplied(logger, migration.Version, migration.Name);
            }

            await EnsurePublicationAsync(connection, cancellationToken);
        }
        finally
        {
            await ExecuteAsync(connection, null, $"select pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None);
        }
    }

    /// <summary>
    /// The publication, created when absent with only <c>realtime.messages</c> (how <c>realtime.send()</c> reaches
    /// subscribers): users add their tables with <c>ALTER PUBLICATION … ADD TABLE</c>. An existing publication
    /// gets <c>realtime.messages</c> added when it lacks it (unless it is FOR ALL TABLES, which has it already).
    /// </summary>
    private async Task EnsurePublicationAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // The name was validated as [a-z_][a-z0-9_]* at start, so quoting it is enough.
        await using var exists = new NpgsqlCommand(
            """
            select p.puballtables
                   or exists (select 1 from pg_publication_rel r where r.prpubid = p.oid and r.prrelid = 'realtime.messages'::regclass)
            from pg_publication p
            where p.pubname = $1
            """,
            connection);
        exists.Parameters.Add(new NpgsqlParameter { Value = options.Publication });
        var hasMessages = await exists.ExecuteScalarAsync(cancellationToken);
        if (hasMessages is null)
        {
            await ExecuteAsync(connection, null, $"create publication \"{options.Publication}\" for table realtime.messages", cancellationToken);
            Log.PublicationCreated(logger, options.Publication);
        }
        else if (hasMessages is false)
        {
            try
            {
                await ExecuteAsync(connection, null, $"alter publication \"{options.Publication}\" add table realtime.messages", cancellationToken);
                Log.PublicationTableAdded(logger, options.Publication, "realtime.messages");
            }
            catch (PostgresException ex)
            {
                // Someone else's publication (e.g. not owned by this user): everything else still works.
                Log.PublicationTableNotAdded(logger, options.Publication, "realtime.messages", ex.MessageText);
            }
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
