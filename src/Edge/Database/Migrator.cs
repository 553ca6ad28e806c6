using Npgsql;

namespace MadBase.Edge.Database;

/// <summary>
/// Applies <see cref="MigrationCatalog"/> steps that are not yet recorded in <c>madbase.schema_migrations</c>,
/// each in its own transaction, under a session advisory lock so that processes starting together take turns
/// (the second finds everything applied). Then creates the publication when it is absent. A restart, which finds
/// both done, learns that from one query and takes no lock.
/// </summary>
internal sealed class Migrator(NpgsqlDataSource dataSource, EdgeOptions options, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("MadBase.Edge.Database.Migrator");

    /// <summary>Arbitrary but fixed: every MadBase process agrees on it. Advisory locks are per database.</summary>
    internal const long AdvisoryLockKey = 0x4d61_6442_6173_6501; // "MadBase" + 1

    /// <summary>
    /// Whether the publication carries <c>realtime.messages</c> (null: no such publication). A FOR ALL TABLES
    /// publication has it already.
    /// </summary>
    private const string PublicationStateSql = """
        select p.puballtables
               or exists (select 1 from pg_publication_rel r where r.prpubid = p.oid and r.prrelid = 'realtime.messages'::regclass)
        from pg_publication p
        where p.pubname = $1
        """;

    /// <summary>The applied versions and the publication's state, as of one snapshot.</summary>
    private const string StateQuery = $"select array(select version from madbase.schema_migrations), ({PublicationStateSql})";

    public async Task ApplyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (await IsCurrentAsync(connection, cancellationToken))
        {
            return;
        }

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
                Log.MigrationApplied(_logger, migration.Version, migration.Name);
            }

            await EnsurePublicationAsync(connection, cancellationToken);
        }
        finally
        {
            await ExecuteAsync(connection, null, $"select pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None);
        }
    }

    /// <summary>
    /// Whether every migration is recorded and the publication carries <c>realtime.messages</c>: then there is nothing
    /// to do, and what was read is committed (a process migrating at the same time commits each step with its
    /// record). A database MadBase never migrated has no <c>madbase.schema_migrations</c> (or no
    /// <c>realtime.messages</c>) yet: the locked path creates them.
    /// </summary>
    private async Task<bool> IsCurrentAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(StateQuery, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = options.Publication });
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var versions = reader.GetFieldValue<int[]>(0);
            var publicationReady = !reader.IsDBNull(1) && reader.GetBoolean(1);
            return publicationReady && MigrationCatalog.All.All(m => versions.Contains(m.Version));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return false;
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
        await using var exists = new NpgsqlCommand(PublicationStateSql, connection);
        exists.Parameters.Add(new NpgsqlParameter { Value = options.Publication });
        var hasMessages = await exists.ExecuteScalarAsync(cancellationToken);
        if (hasMessages is null)
        {
            await ExecuteAsync(connection, null, $"create publication \"{options.Publication}\" for table realtime.messages", cancellationToken);
            Log.PublicationCreated(_logger, options.Publication);
        }
        else if (hasMessages is false)
        {
            try
            {
                await ExecuteAsync(connection, null, $"alter publication \"{options.Publication}\" add table realtime.messages", cancellationToken);
                Log.PublicationTableAdded(_logger, options.Publication, "realtime.messages");
            }
            catch (PostgresException ex)
            {
                // Someone else's publication (e.g. not owned by this user): everything else still works.
                Log.PublicationTableNotAdded(_logger, options.Publication, "realtime.messages", ex.MessageText);
            }
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
