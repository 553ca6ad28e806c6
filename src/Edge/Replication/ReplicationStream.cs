using System.Buffers;
using System.Threading.Channels;
using MadBase.Edge.Configuration;
using MadBase.Edge.Database;
using MadBase.Edge.Logging;
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
/// <see cref="PgOutputDecoder"/> owns the bytes), and writes each committed transaction into the
/// <see cref="ChangeFeed"/> — or, in cluster mode, to the <see cref="IChangeBus"/> every node reads. Acknowledges only
/// what the router has dispatched (cluster mode: what the bus holds), advances on keepalives while idle, reconnects
/// with backoff, and lets only one process per slot stream (advisory lock).
/// </summary>
internal sealed class ReplicationStream(
    EdgeOptions options,
    NpgsqlDataSource dataSource,
    MigrationService migrations,
    ReplicationSlot slot,
    ReplicationCatalog catalog,
    ChangeFeed feed,
    AckTracker acks,
    ReplicationState state,
    ILogger<ReplicationStream> logger,
    IChangeBus? bus = null) : BackgroundService
{
    private static readonly TimeSpan s_statusInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_lagInterval = TimeSpan.FromSeconds(5);
    // A standby asks for the slot's lock this often: the longest a dead leader's slot waits for a successor.
    private static readonly TimeSpan s_standbyRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(30);

    // Read by the status task while the read loop runs: true from the moment a message is taken until its
    // transaction (if it completed one) is in the feed, and while a transaction or stream is open.
    private volatile bool _pending;
    private ChangeLog? _changeLog;

    // Committed, decoded, not yet encoded. Small: the feed behind it is where memory is budgeted.
    private readonly Channel<CommittedChanges> _toEncode = Channel.CreateBounded<CommittedChanges>(
        new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await migrations.Applied.WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        using var changeLog = options.ChangeLogPath is { } path ? ChangeLog.Open(path) : null;
        if (changeLog is not null)
        {
            // Everything up to the log's last commit is durable: skip re-sends of it and let the slot move past it.
            _changeLog = changeLog;
            acks.Written(changeLog.LastCommitted);
            acks.Dispatched(changeLog.LastCommitted);
        }

        var encoding = EncodeLoopAsync(stoppingToken);
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            var streamed = false;
            try
            {
                streamed = await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (ProtocolException ex)
            {
                Log.ReplicationProtocolError(logger, ex, ex.Reason.ToString());
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or InvalidOperationException or OperationCanceledException
                or System.Net.Sockets.SocketException) // e.g. EMFILE: no descriptor for a new connection; retried, never fatal
            {
                Log.ReplicationReconnecting(logger, ex.Message, backoff.TotalMilliseconds, new NpgsqlLogSequenceNumber(state.AckedLsn).ToString());
            }
            finally
            {
                state.SetConnected(false);
            }

            state.Reconnects.Increment();
            backoff = streamed ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, s_maxBackoff.Ticks));
            try
            {
                await Task.Delay(backoff, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        _toEncode.Writer.TryComplete();
        try
        {
            await encoding;
        }
        catch (OperationCanceledException)
        {
            // Shutdown: what was not dispatched was not acknowledged and will be streamed again.
        }
    }

    /// <summary>One connection's life. Returns true if it streamed (so the next retry starts with a short delay).</summary>
    private async Task<bool> RunOnceAsync(CancellationToken stoppingToken)
    {
        // Held for the whole session: a second MadBase process waits here instead of fighting for the slot.
        await using var lockConnection = await dataSource.OpenConnectionAsync(stoppingToken);
        if (!await TryLockSlotAsync(lockConnection, stoppingToken))
        {
            Log.SlotHeldElsewhere(logger, options.Slot);
            await Task.Delay(s_standbyRetry, stoppingToken);
            return false;
        }

        if (await ReadWalLevelAsync(lockConnection, stoppingToken) is var walLevel and not "logical")
        {
            Log.WalLevelNotLogical(logger, walLevel);
            await Task.Delay(s_maxBackoff, stoppingToken);
            return false;
        }

        await catalog.LoadTypesAsync(stoppingToken);
        await using var replication = new LogicalReplicationConnection(ReplicationConnectionString());
        await replication.Open(stoppingToken);
        replication.WalReceiverStatusInterval = s_statusInterval;

        switch (await slot.EnsureAsync(replication, stoppingToken))
        {
            case SlotStatus.Invalidated:
                state.SetInvalidated(true);
                await Task.Delay(s_maxBackoff, stoppingToken);
                return false;
            case SlotStatus.Mismatch:
                await Task.Delay(s_maxBackoff, stoppingToken);
                return false;
        }

        state.SetInvalidated(false);
        if (bus is not null)
        {
            // What the change stream holds was acknowledged by JetStream: skip its re-sends, and let the slot move past it.
            var held = await bus.TakeLeadAsync(stoppingToken);
            if (held > acks.LastWritten)
            {
                acks.Written(held);
                acks.Dispatched(held);
            }
        }
        else
        {
            // Transactions at or below the last written one are skipped as re-sends (the change log's floor after a
            // restart): they never reach the router, so the resume history starts above them. (Cluster mode: the
            // change stream's reader says where this node's history starts.)
            state.SetFirstStreamedAfter(Math.Max(await slot.ReadConfirmedAsync(stoppingToken), acks.LastWritten));
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
        var statusTask = ReportStatusAsync(replication, sessionCts);
        state.SetConnected(true);
        Log.ReplicationStarted(logger, options.Slot, options.Publication, protocol, "on", serverVersion.ToString());

        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var pgSlot = new PgOutputReplicationSlot(options.Slot);
            await foreach (var message in replication.StartLogicalReplication(pgSlot, sessionCts.Token, walLocation: null, options: pgOptions, bypassingStream: false))
            {
                _pending = true;
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
                    await HandOffAsync(completed.Changes, completed.CommitTimestamp, completed.EndLsn, sessionCts.Token);
                }

                _pending = assembler.HasOpenTransactions;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _pending = true;
            await sessionCts.CancelAsync();
            await statusTask;
        }

        return true;
    }

    /// <summary>
    /// Queues a committed transaction for encoding. Encoding (JSON, change log) runs on its own task so the read loop
    /// goes straight back to the socket: the two stages overlap on two cores instead of taking turns.
    /// </summary>
    private async Task HandOffAsync(List<PendingChange> changes, long commitTimestamp, ulong endLsn, CancellationToken cancellationToken)
    {
        if (endLsn <= acks.LastWritten)
        {
            // At-least-once delivery from the slot: after a reconnect the server resends what we had not acked.
            Log.DuplicateTransactionSkipped(logger, new NpgsqlLogSequenceNumber(endLsn).ToString());
            return;
        }

        // Recorded before the hand-off so the status task never acks this LSN ahead of its dispatch. A transaction with
        // no published change takes the same road: marking it dispatched here could overtake an earlier one still on
        // its way (dispatched positions only rise), and acknowledge that one unrouted.
        acks.Written(endLsn);
        await _toEncode.Writer.WriteAsync(new CommittedChanges(changes, commitTimestamp, endLsn), cancellationToken);
    }

    /// <summary>The encoding stage: one <see cref="ChangeEncoder"/>, transactions in commit order, then the feed.</summary>
    private async Task EncodeLoopAsync(CancellationToken stoppingToken)
    {
        var encoder = new ChangeEncoder(catalog);
        try
        {
            await EncodeAllAsync(encoder, stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // E.g. the change log's disk is full: stop reading rather than acknowledge what was not made durable.
            _toEncode.Writer.TryComplete(ex);
            throw;
        }
    }

    private async Task EncodeAllAsync(ChangeEncoder encoder, CancellationToken stoppingToken)
    {
        await foreach (var committed in _toEncode.Reader.ReadAllAsync(stoppingToken))
        {
            var at = new DateTimeOffset(PgTimestamp.ToDateTime(committed.CommitTimestamp));
            var events = new ChangeEvent[committed.Changes.Count];
            for (var i = 0; i < events.Length; i++)
            {
                events[i] = encoder.Encode(committed.Changes[i], at, committed.EndLsn);
            }

            var transaction = new ChangeTransaction(committed.EndLsn, at, events, acks.Dispatched);
            _changeLog?.Append(transaction); // Durable before anyone can dispatch (and so acknowledge) it.
            if (bus is null)
            {
                await feed.WriteAsync(transaction, stoppingToken);
            }
            else if (events.Length == 0)
            {
                acks.Dispatched(transaction.EndLsn); // after every earlier one was published: nothing to write
            }
            else if (await PublishAsync(bus, transaction, stoppingToken))
            {
                acks.Dispatched(transaction.EndLsn); // JetStream holds it: every node's reader gets it from there
            }

            state.Transactions.Increment();
            state.Events.Add(events.Length);
        }
    }

    /// <summary>False when this process no longer leads: the transaction stays unacknowledged for the new leader.</summary>
    private async Task<bool> PublishAsync(IChangeBus bus, ChangeTransaction transaction, CancellationToken stoppingToken)
    {
        try
        {
            await bus.PublishAsync(transaction, stoppingToken);
            return true;
        }
        catch (ChangeBusFencedException)
        {
            return false;
        }
    }

    /// <summary>Every second: report the ackable position (flush = apply); every 5 s: read the slot's lag.</summary>
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
                var ackable = acks.Ackable(_pending, (ulong)replication.LastReceivedLsn);
                if (ackable > reported)
                {
                    replication.SetReplicationStatus(new NpgsqlLogSequenceNumber(ackable));
                    await replication.SendStatusUpdate(cancellationToken);
                    reported = ackable;
                    state.SetAcked(ackable);
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
                        Log.ReplicationEndedForShutdown(logger);
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
    private string ReplicationConnectionString()
    {
        var builder = new NpgsqlConnectionStringBuilder(options.DatabaseConnectionString)
        {
            Timezone = "UTC",
            Options = "-c DateStyle=ISO,MDY -c IntervalStyle=postgres -c extra_float_digits=1 -c bytea_output=hex",
            ApplicationName = "madbase-edge-replication",
            ReadBufferSize = 256 * 1024, // Fewer, larger socket reads while a burst of XLogData streams in.
        };
        return builder.ConnectionString;
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

    private sealed record CommittedChanges(List<PendingChange> Changes, long CommitTimestamp, ulong EndLsn);
}
