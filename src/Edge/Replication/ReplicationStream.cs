using System.Buffers;
using MadBase.Edge.Database;
using MadBase.Protocol;
using MadBase.Protocol.Replication;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.Internal;
using Npgsql.Replication.PgOutput;
using NpgsqlTypes;

namespace MadBase.Edge.Replication;

/// <summary>
/// Consumes the permanent pgoutput slot with Npgsql's raw logical replication connection (Npgsql owns the socket,
/// <see cref="PgOutputDecoder"/> owns the bytes) and gives each committed transaction to the
/// <see cref="TransactionHandOff"/> (encoding, then the <see cref="ChangeFeed"/> or, in cluster mode, the
/// <see cref="IChangeBus"/> every node reads). This class does the I/O: the slot's lock (one process per slot streams),
/// the connection and its reconnects with backoff, and the status updates, which report what the
/// <see cref="SlotAcknowledger"/> says may be confirmed — the rule itself lives there.
/// </summary>
internal sealed class ReplicationStream(
    EdgeOptions options,
    NpgsqlDataSource dataSource,
    MigrationService migrations,
    ReplicationSlot slot,
    ReplicationCatalog catalog,
    ChangeFeed feed,
    SlotAcknowledger acks,
    ReplicationState state,
    ILoggerFactory loggers,
    IChangeBus? bus = null) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger("MadBase.Edge.Replication.ReplicationStream");

    private static readonly TimeSpan s_statusInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_lagInterval = TimeSpan.FromSeconds(5);
    // A standby asks for the slot's lock this often: the longest a dead leader's slot waits for a successor.
    private static readonly TimeSpan s_standbyRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // No floor from the log's last commit: subscribers do not read the log, they read what is routed, and a
        // restart's re-sends below that commit may never have been routed (or proven by a resuming client).
        // TransactionHandOff routes them again and only keeps them out of the log.
        using var changeLog = options.ChangeLogPath is { } path ? ChangeLog.Open(path) : null;
        var handOff = new TransactionHandOff(acks, new ChangeEncoder(catalog), feed, changeLog, bus, state, _logger);
        var encoding = handOff.RunAsync(stoppingToken);
        var backoff = TimeSpan.FromMilliseconds(250);
        var standingBy = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            var end = SessionEnd.Failed;
            try
            {
                end = await RunOnceAsync(handOff, standingBy, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (ProtocolException ex)
            {
                Log.ReplicationProtocolError(_logger, ex, ex.Reason.ToString());
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or InvalidOperationException or OperationCanceledException
                or System.Net.Sockets.SocketException) // e.g. EMFILE: no descriptor for a new connection; retried, never fatal
            {
                Log.ReplicationReconnecting(_logger, ex.Message, backoff.TotalMilliseconds, new NpgsqlLogSequenceNumber(state.AckedLsn).ToString());
            }
            finally
            {
                state.SetConnected(false);
            }

            standingBy = end == SessionEnd.StandingBy;
            if (standingBy)
            {
                // Not a failure: the leader is alive. No backoff, so a standby asks every s_standbyRetry however long
                // the leader has lived (it grew to 30 s once, and a takeover after a minute of leadership took as long).
                backoff = TimeSpan.FromMilliseconds(250);
                continue;
            }

            state.Reconnects.Increment();
            backoff = end == SessionEnd.Streamed ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, s_maxBackoff.Ticks));
            try
            {
                await Task.Delay(backoff, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        handOff.Complete();
        try
        {
            await encoding;
        }
        catch (OperationCanceledException)
        {
            // Shutdown: what was not dispatched was not acknowledged and will be streamed again.
        }
    }

    /// <summary>One connection's life, and how it ended (which decides how long the next attempt waits).</summary>
    /// <param name="standingBy">The previous attempt found the slot held: said once in the log, not every second.</param>
    private async Task<SessionEnd> RunOnceAsync(TransactionHandOff handOff, bool standingBy, CancellationToken stoppingToken)
    {
        // Held for the whole session: a second MadBase process waits here instead of fighting for the slot.
        await using var lockConnection = await dataSource.OpenConnectionAsync(stoppingToken);
        if (!await TryLockSlotAsync(lockConnection, stoppingToken))
        {
            if (!standingBy)
            {
                Log.SlotHeldElsewhere(_logger, options.Slot);
            }

            await Task.Delay(s_standbyRetry, stoppingToken);
            return SessionEnd.StandingBy;
        }

        if (await ReadWalLevelAsync(lockConnection, stoppingToken) is var walLevel and not "logical")
        {
            Log.WalLevelNotLogical(_logger, walLevel);
            await Task.Delay(s_maxBackoff, stoppingToken);
            return SessionEnd.Failed;
        }

        // Nothing up to here needs the schema, so a starting process does it while the migrations run, and opens the
        // replication connection (a walsender: only once the lock is held) while the type catalog loads.
        await using var replicationSource = ReplicationConnections.CreateDataSource(ReplicationConnectionString());
        await using var replication = ReplicationConnections.Create(replicationSource);
        var opening = replication.Open(stoppingToken);
        try
        {
            await catalog.LoadTypesAsync(lockConnection, stoppingToken);
        }
        finally
        {
            await opening; // disposing a connection that is still opening would race its open
        }

        replication.WalReceiverStatusInterval = s_statusInterval;

        // The slot comes after the publication (migrations create it): pgoutput looks the publication up in the
        // catalog as of each change it decodes, and a slot older than its publication fails on the first change.
        await migrations.Applied.WaitAsync(stoppingToken);
        switch (await slot.EnsureAsync(lockConnection, replication, stoppingToken))
        {
            case SlotStatus.Invalidated:
                state.SetInvalidated(true);
                await Task.Delay(s_maxBackoff, stoppingToken);
                return SessionEnd.Failed;
            case SlotStatus.Mismatch:
                await Task.Delay(s_maxBackoff, stoppingToken);
                return SessionEnd.Failed;
        }

        state.SetInvalidated(false);
        if (bus is not null)
        {
            // What the change stream holds was acknowledged by JetStream: skip its re-sends, and let the slot move past it.
            var lead = await bus.TakeLeadAsync(stoppingToken);
            acks.Restore(lead.ResendsThrough, lead.WholeThrough);
        }
        else
        {
            // The slot re-sends from its confirmed position, and everything it re-sends is routed again (also what the
            // change log holds already), so the resume history starts there. (Cluster mode: the change stream's reader
            // says where this node's history starts.)
            state.SetFirstStreamedAfter(Math.Max(await slot.ReadConfirmedAsync(lockConnection, stoppingToken), acks.LastAccepted));
        }
        var serverVersion = replication.PostgreSqlVersion;
        var protocol = serverVersion.Major switch { <= 14 => 2, 15 => 3, _ => 4 };
        var decodeOptions = new PgOutputDecodeOptions(protocol, MadBase.Protocol.Replication.PgOutputStreamingMode.On);
        var decoder = new PgOutputDecoder(decodeOptions, new RelationCache());
        var assembler = new TransactionAssembler();
        var handler = new AssemblerHandler(assembler, decoder);
        var pgOptions = new List<KeyValuePair<string, string?>>
        {
            new("proto_version", protocol.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("publication_names", $"\"{options.Publication}\""),
            new("streaming", "on"),
        };

        using var sessionCts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        acks.SessionStarted(); // the previous session's status task has stopped: this one's starts from nothing open
        var statusTask = ReportStatusAsync(replication, sessionCts);
        state.SetConnected(true);
        Log.ReplicationStarted(_logger, options.Slot, options.Publication, protocol, "on", serverVersion.ToString());

        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var pgSlot = new PgOutputReplicationSlot(options.Slot);
            await foreach (var message in replication.StartLogicalReplication(pgSlot, sessionCts.Token, walLocation: null, options: pgOptions, bypassingStream: false))
            {
                acks.MessageTaken();
                var length = checked((int)message.Data.Length);
                if (length > buffer.Length)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(length);
                }

                // Synchronous: the payload is usually buffered already, and this loop owns its thread
                // (docs/protocol/pgoutput.md §Reading raw payloads with Npgsql).
                message.Data.ReadExactly(buffer, 0, length);
                decoder.Decode(buffer.AsSpan(0, length), ref handler);

                if (assembler.RelationsToRefresh.Count > 0)
                {
                    foreach (var relation in assembler.RelationsToRefresh)
                    {
                        await catalog.RefreshRelationAsync(relation.Id, relation.Columns.Select(c => c.TypeOid), sessionCts.Token);
                    }

                    assembler.RelationsToRefresh.Clear();
                }

                if (assembler.TakeCompleted() is { } completed)
                {
                    await handOff.OfferAsync(completed.Changes, completed.CommitTimestamp, completed.EndLsn, sessionCts.Token);
                }

                acks.MessageHandled(assembler.HasOpenTransactions);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            acks.SessionEnded();
            await sessionCts.CancelAsync();
            await statusTask;
        }

        return SessionEnd.Streamed;
    }

    /// <summary>Every second: report the confirmable position (flush = apply); every 5 s: read the slot's lag.</summary>
    /// <remarks>
    /// A clean PostgreSQL shutdown waits until its walsender's last WAL is acknowledged, which the resume window may not
    /// allow; the lag read then fails with 57P03 (no new connections: shutting down) and the session ends itself, so the
    /// shutdown completes and the slot keeps what was not acknowledged.
    /// </remarks>
    private async Task ReportStatusAsync(LogicalReplicationConnection replication, CancellationTokenSource session)
    {
        var cancellationToken = session.Token;
        ulong reported = 0;
        var lastLag = DateTime.MinValue;
        using var timer = new PeriodicTimer(s_statusInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var confirmable = acks.Confirmable((ulong)replication.LastReceivedLsn);
                if (confirmable > reported)
                {
                    replication.SetReplicationStatus(new NpgsqlLogSequenceNumber(confirmable));
                    await replication.SendStatusUpdate(cancellationToken);
                    reported = confirmable;
                    state.SetAcked(confirmable);
                }

                if (DateTime.UtcNow - lastLag >= s_lagInterval)
                {
                    lastLag = DateTime.UtcNow;
                    try
                    {
                        if (await slot.ReadLagAsync(cancellationToken) is { } lag)
                        {
                            state.SetLag(lag.LagBytes);
                            state.SetInvalidated(lag.WalStatus == "lost");
                        }
                    }
                    catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.AdminShutdown)
                    {
                        Log.ReplicationEndedForShutdown(_logger);
                        await session.CancelAsync();
                        return;
                    }
                    catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException)
                    {
                        // A failed lag read (a pooled connection cut, say) is not the stream's failure: read it again later.
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            // The read loop sees the same broken connection and reconnects; nothing to add here.
        }
    }

    /// <summary>Pins the walsender's output formats (docs/protocol/pgoutput.md §Pinned output formats): the JSON
    /// conversion depends on them.</summary>
    private NpgsqlConnectionStringBuilder ReplicationConnectionString()
    {
        return new NpgsqlConnectionStringBuilder(options.DatabaseConnectionString)
        {
            Timezone = "UTC",
            Options = "-c DateStyle=ISO,MDY -c IntervalStyle=postgres -c extra_float_digits=1 -c bytea_output=hex",
            ApplicationName = "madbase-edge-replication",
            ReadBufferSize = 256 * 1024, // Fewer, larger socket reads while a burst of XLogData streams in.
        };
    }

    private async Task<bool> TryLockSlotAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("select pg_try_advisory_lock(hashtext('madbase.slot:' || $1))", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = options.Slot });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<string> ReadWalLevelAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("show wal_level", connection);
        return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>How one connection's life ended.</summary>
    private enum SessionEnd
    {
        /// <summary>It streamed: the next attempt comes soon.</summary>
        Streamed,

        /// <summary>Another process holds the slot (this node is a standby): ask again in <see cref="s_standbyRetry"/>, no backoff.</summary>
        StandingBy,

        /// <summary>It failed before streaming: the next attempt backs off, up to <see cref="s_maxBackoff"/>.</summary>
        Failed,
    }
}
