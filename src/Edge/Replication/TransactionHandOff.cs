using System.Threading.Channels;
using MadBase.Protocol.Replication;
using NpgsqlTypes;

namespace MadBase.Edge.Replication;

/// <summary>
/// The replication stream's stages after assembly, without I/O of their own: each committed transaction from the read
/// loop is accepted (re-sends refused) by the <see cref="SlotAcknowledger"/>, queued, encoded once by the
/// <see cref="ChangeEncoder"/>, appended to the optional <see cref="ChangeLog"/> (unless it already holds it: a
/// re-send after a restart, handed off again all the same), and handed off — to the
/// <see cref="ChangeFeed"/> (the router reports its dispatch), or in cluster mode to the <see cref="IChangeBus"/>
/// (reported here once the bus holds it).
/// </summary>
/// <remarks>
/// Encoding (JSON, change log) runs on its own task (<see cref="RunAsync"/>) so the read loop goes straight back to
/// the socket: the two stages overlap on two cores instead of taking turns. The queue between them is small; the feed
/// behind it is where memory is budgeted. Transactions leave in the order they were offered.
/// </remarks>
internal sealed class TransactionHandOff
{
    private readonly SlotAcknowledger _acks;
    private readonly ChangeEncoder _encoder;
    private readonly ChangeFeed _feed;
    private readonly ChangeLog? _changeLog;
    private readonly IChangeBus? _bus;
    private readonly ReplicationState _state;
    private readonly ILogger _logger;

    // Committed, decoded, not yet encoded.
    private readonly Channel<CommittedChanges> _toEncode = Channel.CreateBounded<CommittedChanges>(
        new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    public TransactionHandOff(SlotAcknowledger acks, ChangeEncoder encoder, ChangeFeed feed, ChangeLog? changeLog, IChangeBus? bus,
        ReplicationState state, ILogger logger)
    {
        // Which report is the hand-off must match where transactions go, or the slot would never move (or move early).
        if ((bus is not null) != acks.HandOffIsChangeBus)
        {
            throw new ArgumentException($"the acknowledger expects hand-off by {(acks.HandOffIsChangeBus ? "the change bus" : "routing")}", nameof(bus));
        }

        _acks = acks;
        _encoder = encoder;
        _feed = feed;
        _changeLog = changeLog;
        _bus = bus;
        _state = state;
        _logger = logger;
    }

    /// <summary>
    /// Queues a committed transaction for encoding; false when it is a re-send of one already accepted (skipped).
    /// It is accepted before it is queued, so the status loop never confirms its LSN ahead of its hand-off.
    /// </summary>
    public async ValueTask<bool> OfferAsync(List<PendingChange> changes, long commitTimestamp, ulong endLsn, CancellationToken cancellationToken)
    {
        if (!_acks.Accept(endLsn))
        {
            // At-least-once delivery from the slot: after a reconnect the server resends what we had not acked.
            Log.DuplicateTransactionSkipped(_logger, new NpgsqlLogSequenceNumber(endLsn).ToString());
            return false;
        }

        await _toEncode.Writer.WriteAsync(new CommittedChanges(changes, commitTimestamp, endLsn), cancellationToken);
        return true;
    }

    /// <summary>No more offers: <see cref="RunAsync"/> ends once the queue is drained.</summary>
    public void Complete() => _toEncode.Writer.TryComplete();

    /// <summary>The encoding stage: transactions in commit order, encoded, logged, handed off. Runs until completed.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var committed in _toEncode.Reader.ReadAllAsync(stoppingToken))
            {
                await HandOffAsync(committed, stoppingToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // E.g. the change log's disk is full: stop taking offers rather than acknowledge what was not made durable.
            _toEncode.Writer.TryComplete(ex);
            throw;
        }
    }

    private async Task HandOffAsync(CommittedChanges committed, CancellationToken stoppingToken)
    {
        var at = new DateTimeOffset(PgTimestamp.ToDateTime(committed.CommitTimestamp));
        var events = new ChangeEvent[committed.Changes.Count];
        for (var i = 0; i < events.Length; i++)
        {
            events[i] = _encoder.Encode(committed.Changes[i], at, committed.EndLsn);
        }

        var transaction = new ChangeTransaction(committed.EndLsn, at, events);
        if (_changeLog is { } log && transaction.EndLsn > log.LastCommitted)
        {
            log.Append(transaction); // Durable before anyone can dispatch (and so acknowledge) it.
        }

        if (_bus is null)
        {
            await _feed.WriteAsync(transaction, stoppingToken); // the router reports its dispatch (ChangeFeed.MarkDispatched)
        }
        else if (events.Length == 0)
        {
            _acks.Published(transaction.EndLsn); // after every earlier one was published: nothing to write
        }
        else if (await PublishAsync(_bus, transaction, stoppingToken))
        {
            _acks.Published(transaction.EndLsn); // JetStream holds it: every node's reader gets it from there
        }

        _state.Transactions.Increment();
        _state.Events.Add(events.Length);
    }

    /// <summary>False when this process no longer leads: the transaction stays unacknowledged for the new leader.</summary>
    private static async Task<bool> PublishAsync(IChangeBus bus, ChangeTransaction transaction, CancellationToken stoppingToken)
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

    private sealed record CommittedChanges(List<PendingChange> Changes, long CommitTimestamp, ulong EndLsn);
}
