using MadBase.Edge.Database;
using MadBase.Edge.Diagnostics;
using MadBase.Edge.Replication;
using NATS.Client.Core;

namespace MadBase.Edge.Cluster.Changes;

/// <summary>
/// Every node's reader of the change stream (<see cref="ChangeBus"/>), the slot leader's included: an ordered consumer
/// from the stream's first message, chunks put together again, each whole transaction written into this node's
/// <see cref="ChangeFeed"/> in stream order — so every node's router, delivery log and resume history see the same
/// transactions at the same positions, and a client can resume on any node.
/// </summary>
/// <remarks>
/// Invariant: the feed gets each transaction once, whole, in commit order. A sequence that jumps (messages the stream's
/// limits removed before this node read them) is never passed over silently: the next transaction carries
/// <see cref="ChangeTransaction.AfterGap"/>, and the router tells every postgres_changes channel and restarts its history there.
/// </remarks>
internal sealed class ChangeStreamReader(
    ChangeBus bus,
    ChangeFeed feed,
    ReplicationSlot slot,
    ReplicationCatalog catalog,
    ReplicationState state,
    MigrationService migrations,
    EdgeMetrics metrics,
    ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger("MadBase.Edge.Cluster");
    private ulong _lastSeq;
    private ulong _streamLastSeq;
    private readonly ChangeAssembler _assembler = new();
    private bool _gap;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        metrics.Gauge("madbase_cluster_changes_lag", "Change stream messages this node has not read yet (JetStream's last sequence minus the last read).", () => Math.Max(0L, (long)Volatile.Read(ref _streamLastSeq) - (long)Volatile.Read(ref _lastSeq)));
        var read = metrics.Counter("madbase_cluster_changes_read_total", "Transactions this node read from the change stream into its change log.");
        var gaps = metrics.Counter("madbase_cluster_changes_gaps_total", "Times this node missed change stream messages: removed by the stream's limits before it read them, or unreadable (subscribers told).");
        try
        {
            await migrations.Applied.WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ReadAsync(read, gaps, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NatsException or InvalidOperationException or InvalidDataException or TimeoutException or Npgsql.NpgsqlException)
            {
                Log.ChangeStreamReadFailed(_logger, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private async Task ReadAsync(Counter read, Counter gaps, CancellationToken stoppingToken)
    {
        await bus.EnsureStreamAsync(stoppingToken);
        var held = await bus.ReadStateAsync(stoppingToken);
        Volatile.Write(ref _streamLastSeq, held.LastSeq);
        if (state.FirstStreamedAfter < 0 && held.FirstSeq <= 1)
        {
            // Nothing was ever removed from the stream: every change it will ever carry is read here, so this node's
            // history covers every position, also one another node recorded before this one started.
            state.SetFirstStreamedAfter(0);
        }
        else if (state.FirstStreamedAfter < 0 && held.Messages == 0)
        {
            // Nothing held: everything above the slot's confirmed position is still to be written, and will be read here.
            state.SetFirstStreamedAfter(await slot.ReadConfirmedAsync(stoppingToken));
        }

        var consumer = bus.OpenReader(_lastSeq);
        Log.ChangeStreamReading(_logger, bus.StreamName, _lastSeq);
        await foreach (var message in consumer.ConsumeAsync(stoppingToken))
        {
            var seq = message.StreamSeq;
            Volatile.Write(ref _streamLastSeq, seq + message.Pending);
            if (_lastSeq != 0 && seq != _lastSeq + 1)
            {
                Log.ChangeStreamGap(_logger, seq - _lastSeq - 1, _lastSeq + 1, seq - 1);
                gaps.Increment();
                _gap = true;
                _assembler.Reset();
            }

            // Read past from here on: a failure below must not lose what this message carries (a re-opened reader
            // starts after it), so it is either handled here or marks a gap.
            Volatile.Write(ref _lastSeq, seq);
            ChangeTransaction? transaction;
            try
            {
                transaction = _assembler.Add(message.Data, afterGap: _gap);
            }
            catch (InvalidDataException ex)
            {
                // Unreadable (damaged, or written by a newer layout): its changes are lost on this node, so the next
                // whole transaction is marked as following a gap and postgres_changes subscribers are told.
                Log.ChangeStreamMessageUnreadable(_logger, seq, ex.Message);
                gaps.Increment();
                _gap = true;
                _assembler.Reset();
                continue;
            }

            if (transaction is not null)
            {
                // The history starts below the first whole transaction read: everything above it comes through here.
                state.SetFirstStreamedAfter(transaction.EndLsn - 1);
                _gap = false;
                await EnsureTypesAsync(transaction, stoppingToken);
                await feed.WriteAsync(transaction, stoppingToken);
                read.Increment();
            }
        }
    }

    /// <summary>
    /// The router's projections (a binding's <c>select</c>) write values by their type, which this node's catalog knows
    /// only if it asked: the leader learns types from Relation messages, a follower from what it reads here.
    /// </summary>
    /// <remarks>
    /// Retried here until it succeeds, holding the transaction: its messages are read past (a reader re-opened after a
    /// failure would start after them), and a catalog query fails when the database restarts or drops the pool's
    /// connections, which would have lost the transaction on this node, untold.
    /// </remarks>
    private async Task EnsureTypesAsync(ChangeTransaction transaction, CancellationToken cancellationToken)
    {
        IReadOnlyList<ChangeColumn>? last = null;
        foreach (var change in transaction.Changes)
        {
            if (ReferenceEquals(change.Columns, last))
            {
                continue;
            }

            last = change.Columns;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await catalog.EnsureTypesAsync(last.Select(c => c.TypeOid), cancellationToken);
                    break;
                }
                catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    Log.ChangeStreamReadFailed(_logger, $"the column types of a transaction could not be read: {ex.Message}");
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 250 * attempt)), cancellationToken);
                }
            }
        }
    }
}
