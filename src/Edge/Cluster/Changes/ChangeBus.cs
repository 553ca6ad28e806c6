using MadBase.Edge.Cluster.JetStream;
using MadBase.Edge.Diagnostics;
using MadBase.Edge.Replication;
using NATS.Client.Core;

namespace MadBase.Edge.Cluster.Changes;

/// <summary>
/// The change stream of a cluster: one JetStream stream per slot (<c>MADBASE_CHANGES_&lt;slot&gt;</c>, subject
/// <c>madbase.&lt;slot&gt;.changes</c>, file storage) that the slot leader writes every committed transaction to, encoded
/// once (<see cref="ChangeMessages"/>), and every node reads into its own change log (<see cref="ChangeStreamReader"/>).
/// </summary>
/// <remarks>
/// Invariants, kept here:
/// <list type="bullet">
/// <item>A transaction is acknowledged to PostgreSQL only after JetStream acknowledged its last chunk
/// (<see cref="PublishAsync"/> returns then), so the slot never moves past what the stream does not hold.</item>
/// <item>One writer: every chunk is published with <c>Nats-Expected-Last-Sequence</c> = the last sequence this leader
/// wrote or read when it took the lead. A stale leader (one that lost the slot's lock but still streams) fails that check
/// and stops; it never interleaves with the new one.</item>
/// <item>No transaction twice: a new leader starts above the last whole transaction in the stream (what the slot re-sends
/// up to it is skipped); <c>Nats-Msg-Id</c> = commit LSN, chunk and leader term, so a publish retried after a lost
/// acknowledgement is stored once. A transaction a dead leader left half-written is written again whole; readers
/// drop the half.</item>
/// </list>
/// </remarks>
internal sealed class ChangeBus : IChangeBus
{
    private static readonly TimeSpan s_minAge = TimeSpan.FromMinutes(10);
    private readonly JetStreamClient _js;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly StreamSettings _config;
    private ulong _lastSeq;

    /// <summary>A transaction ending at or below this is not published again: the stream has it (from the lead's start,
    /// <see cref="ChangeBusLead.ResendsThrough"/>, which stops below a transaction held only in part; then what this leader published).</summary>
    private ulong _skipThrough;

    private ulong _term;
    private bool _fenced = true; // until the first TakeLeadAsync

    public ChangeBus(EdgeOptions options, RealtimeOptions realtime, ClusterNode node, EdgeMetrics metrics, ILoggerFactory loggers)
    {
        _js = new JetStreamClient(node.Connection);
        _logger = loggers.CreateLogger("MadBase.Edge.Cluster");
        Subject = "madbase." + options.Slot + ".changes";
        StreamName = "MADBASE_CHANGES_" + new string([.. options.Slot.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_')]);

        // Readers start from the stream's beginning, so it is the window a restarted node (or one a client resumes on)
        // rebuilds its history from: at least twice the resume window, and a bound in bytes a small NATS host can keep.
        _config = new StreamSettings
        {
            Name = StreamName,
            Subjects = [Subject],
            Storage = "file",
            NumReplicas = options.NatsReplicas,
            MaxAge = StreamSettings.Nanoseconds(TimeSpan.FromTicks(Math.Max(s_minAge.Ticks, 2 * realtime.ResumeWindow.Ticks))),
            MaxBytes = MaxBytes,
            // Past the limits the oldest go; a node that had not read them sees the sequence jump, counts it
            // (madbase_cluster_changes_gaps_total) and tells every postgres_changes channel (ChangeStreamReader).
            Discard = "old",
            DuplicateWindow = StreamSettings.Nanoseconds(TimeSpan.FromMinutes(2)),
        };
        Published = metrics.Counter("madbase_cluster_changes_published_total", "Transactions this node wrote to the change stream as slot leader (acknowledged by JetStream).");
    }

    /// <summary>Bytes the stream keeps at most (oldest first out): 1 GiB.</summary>
    public const long MaxBytes = 1L << 30;

    public string StreamName { get; }

    public string Subject { get; }

    public JetStreamClient JetStream => _js;

    public Counter Published { get; }

    /// <summary>Creates the stream, or brings its limits to this node's configuration (every node calls it).</summary>
    public async Task EnsureStreamAsync(CancellationToken cancellationToken) => await _js.CreateOrUpdateStreamAsync(_config, cancellationToken);

    /// <summary>The stream's state now: first and last sequence, messages held.</summary>
    public Task<StreamState> ReadStateAsync(CancellationToken cancellationToken) => _js.ReadStreamStateAsync(StreamName, cancellationToken);

    /// <summary>An ordered consumer of the stream from the message after <paramref name="afterSeq"/> (0: from the first held).</summary>
    public OrderedConsumer OpenReader(ulong afterSeq) =>
        _js.CreateOrderedConsumer(StreamName, afterSeq == 0 ? DeliverFrom.All : DeliverFrom.Sequence(afterSeq + 1));

    public async Task<ChangeBusLead> TakeLeadAsync(CancellationToken cancellationToken)
    {
        await EnsureStreamAsync(cancellationToken);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            (_lastSeq, var lead) = await ReadLastAsync(cancellationToken);
            _skipThrough = lead.ResendsThrough;
            _term = _lastSeq;
            _fenced = false;
            Log.ChangeStreamLeading(_logger, StreamName, _lastSeq, new NpgsqlTypes.NpgsqlLogSequenceNumber(_skipThrough).ToString());
            return lead;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task PublishAsync(ChangeTransaction transaction, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_fenced)
            {
                throw new ChangeBusFencedException("this node no longer leads the change stream");
            }

            if (transaction.EndLsn <= _skipThrough)
            {
                return; // the stream has it already (queued before this leader read the stream's end)
            }

            var chunks = ChangeMessages.Encode(transaction, MaxMessageBytes());
            for (var i = 0; i < chunks.Count; i++)
            {
                await PublishChunkAsync(chunks[i], $"{transaction.EndLsn}.{i}.{_term}", cancellationToken);
            }

            _skipThrough = transaction.EndLsn;
            Published.Increment();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The server's <c>max_payload</c> (1 MiB by default) less room for the publish's headers (message id, expected
    /// sequence): a larger change is cut into pieces rather than refused, which would stop the stream.
    /// </summary>
    private int MaxMessageBytes()
    {
        const int HeaderRoom = 4096;
        var limit = _js.Connection.ServerInfo?.MaxPayload ?? 1024 * 1024;
        return (int)Math.Clamp(limit - HeaderRoom, ChangeMessages.HeaderBytes + 1024, int.MaxValue);
    }

    private async Task PublishChunkAsync(byte[] chunk, string msgId, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                var ack = await _js.PublishAsync(Subject, chunk, msgId, expectedLastSeq: _lastSeq, cancellationToken);
                _lastSeq = ack.Seq;
                return;
            }
            catch (JetStreamApiException ex) when (ex.ErrCode == JetStreamApiException.WrongLastSequence)
            {
                _fenced = true;
                Log.ChangeStreamFenced(_logger, StreamName, ex.Description);
                throw new ChangeBusFencedException("another leader wrote to the change stream: " + ex.Description);
            }
            catch (Exception ex) when (ex is NatsException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                // NATS unreachable: the transaction stays unacknowledged and the slot keeps its WAL; try again.
                Log.ChangeStreamPublishRetrying(_logger, ex.Message, delay.TotalMilliseconds);
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    /// <summary>The stream's last sequence, and what it holds (from its last message).</summary>
    private async Task<(ulong Seq, ChangeBusLead Lead)> ReadLastAsync(CancellationToken cancellationToken)
    {
        var held = await ReadStateAsync(cancellationToken);
        if (held.LastSeq == 0 || held.Messages == 0)
        {
            return (held.LastSeq, ChangeBusLead.Empty);
        }

        await foreach (var last in _js.CreateOrderedConsumer(StreamName, DeliverFrom.Last).ConsumeAsync(cancellationToken))
        {
            var header = ChangeMessages.ReadHeader(last.Data);
            return (last.StreamSeq, ChangeBusLead.FromLastMessage(header.EndLsn, header.Final));
        }

        throw new InvalidOperationException("the change stream's last message could not be read");
    }
}
