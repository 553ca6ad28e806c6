using Npgsql;
using Npgsql.Replication;

namespace MadBase.Edge.Replication;

/// <summary>What the slot looks like before streaming starts.</summary>
internal enum SlotStatus
{
    Ready,
    Invalidated,
    Mismatch,
}

/// <summary>
/// The permanent pgoutput slot <c>MADBASE_SLOT</c>: created when missing (after the publication, which migrations
/// create), checked for invalidation (<c>wal_status = lost</c>) and for belonging to this database.
/// </summary>
internal sealed class ReplicationSlot(EdgeOptions options, NpgsqlDataSource dataSource, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("MadBase.Edge.Replication.ReplicationSlot");

    public string Name => options.Slot;

    /// <param name="connection">An open connection the caller holds (the session's lock connection).</param>
    public async Task<SlotStatus> EnsureAsync(NpgsqlConnection connection, LogicalReplicationConnection replication, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "select s.slot_name, s.database, s.plugin, s.wal_status, current_database() from (select 1) one left join pg_replication_slots s on s.slot_name = $1",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = options.Slot });
        string? database, plugin, walStatus;
        string currentDatabase;
        bool exists;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            exists = !reader.IsDBNull(0);
            database = reader.IsDBNull(1) ? null : reader.GetString(1);
            plugin = reader.IsDBNull(2) ? null : reader.GetString(2);
            walStatus = reader.IsDBNull(3) ? null : reader.GetString(3);
            currentDatabase = reader.GetString(4);
        }

        if (!exists)
        {
            // NOEXPORT: realtime needs changes from now on, not a snapshot of existing rows.
            var slot = await replication.CreatePgOutputReplicationSlot(
                options.Slot, temporarySlot: false, slotSnapshotInitMode: LogicalSlotSnapshotInitMode.NoExport, cancellationToken: cancellationToken);
            Log.SlotCreated(_logger, options.Slot, slot.ConsistentPoint.ToString());
            return SlotStatus.Ready;
        }

        if (walStatus == "lost")
        {
            Log.SlotInvalidated(_logger, options.Slot);
            return SlotStatus.Invalidated;
        }

        if (plugin != "pgoutput" || database != currentDatabase)
        {
            Log.SlotMismatch(_logger, options.Slot, database ?? "(physical)", plugin ?? "(none)");
            return SlotStatus.Mismatch;
        }

        return SlotStatus.Ready;
    }

    /// <summary>Bytes of WAL the slot holds back (<c>pg_current_wal_lsn() - confirmed_flush_lsn</c>) and its wal_status.</summary>
    public async Task<(long LagBytes, string? WalStatus)?> ReadLagAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select (pg_current_wal_lsn() - confirmed_flush_lsn)::bigint, wal_status from pg_replication_slots where slot_name = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = options.Slot });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return (reader.IsDBNull(0) ? -1 : reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    /// <summary>The slot's <c>confirmed_flush_lsn</c>: a new stream sends every transaction that commits above it.</summary>
    public async Task<ulong> ReadConfirmedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ReadConfirmedAsync(connection, cancellationToken);
    }

    /// <summary>The same on a connection the caller holds.</summary>
    public async Task<ulong> ReadConfirmedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("select confirmed_flush_lsn from pg_replication_slots where slot_name = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = options.Slot });
        return await command.ExecuteScalarAsync(cancellationToken) is NpgsqlTypes.NpgsqlLogSequenceNumber lsn ? (ulong)lsn : 0;
    }
}
