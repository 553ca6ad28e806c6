using MadBase.Edge.Diagnostics;
using MadBase.Protocol.Replication;
using MadBase.Protocol.Tests.Replication;
using Microsoft.Extensions.Logging.Abstractions;

namespace MadBase.Edge.Tests.Replication;

/// <summary>
/// The replication stages between the socket and the router, wired as <c>ReplicationStream</c> wires them, with no
/// PostgreSQL: the real <see cref="PgOutputDecoder"/>, <see cref="TransactionAssembler"/>, <see cref="TransactionHandOff"/>
/// (with the real <see cref="ChangeEncoder"/>), <see cref="ChangeFeed"/> and <see cref="SlotAcknowledger"/>. The test plays
/// the router: it reads transactions from the feed and decides when to mark them dispatched.
/// </summary>
internal sealed class ChangePipeline : IAsyncDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);

    // The catalog facts the capture script's schema has (scripts/capture-pgoutput.sh), as pg_type would give them.
    private static readonly Dictionary<uint, (string Name, char Category)> s_builtInTypes = new()
    {
        [17] = ("bytea", 'U'),
        [23] = ("int4", 'N'),
        [20] = ("int8", 'N'),
        [25] = ("text", 'S'),
        [1043] = ("varchar", 'S'),
        [1184] = ("timestamptz", 'D'),
        [1700] = ("numeric", 'N'),
    };

    private readonly CancellationTokenSource _stop = new();
    private readonly NpgsqlDataSource _neverOpened = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1");
    private AssemblerHandler _handler;
    private readonly Task _handingOff;
    private readonly int _protocolVersion;

    public ChangePipeline(int protocolVersion, bool handOffIsChangeBus = false, IChangeBus? bus = null)
    {
        Acks = new SlotAcknowledger(handOffIsChangeBus);
        Feed = new ChangeFeed(Acks);
        Catalog = new ReplicationCatalog(_neverOpened);
        _protocolVersion = protocolVersion;
        (Decoder, Assembler, _handler) = NewConnection();
        HandOff = new TransactionHandOff(Acks, new ChangeEncoder(Catalog), Feed, changeLog: null, bus,
            new ReplicationState(new EdgeMetrics(), new Readiness()), NullLogger.Instance);
        _handingOff = HandOff.RunAsync(_stop.Token);
    }

    public SlotAcknowledger Acks { get; }

    public ChangeFeed Feed { get; }

    public ReplicationCatalog Catalog { get; }

    public PgOutputDecoder Decoder { get; private set; }

    public TransactionAssembler Assembler { get; private set; }

    public TransactionHandOff HandOff { get; }

    /// <summary>Transactions the hand-off stage skipped as re-sends.</summary>
    public int Skipped { get; private set; }

    /// <summary>Messages given to <see cref="ReceiveAsync"/> so far.</summary>
    public int MessagesReceived { get; private set; }

    /// <summary>
    /// A reconnect, as <c>ReplicationStream</c> does it: the session ends, a new connection gets its own decoder and
    /// assembler (partial transactions are gone: the server sends them again), and a new session starts.
    /// </summary>
    public void NewSession()
    {
        Acks.SessionEnded();
        (Decoder, Assembler, _handler) = NewConnection();
        Acks.SessionStarted();
    }

    /// <summary>
    /// One XLogData payload, handled as <c>ReplicationStream.RunOnceAsync</c> handles it: taken, decoded, the catalog
    /// facts of announced relations refreshed, a completed transaction offered, handled. A message that throws is left
    /// taken, as the read loop leaves it when the session breaks.
    /// </summary>
    public async Task ReceiveAsync(CapturedMessage message)
    {
        var handler = _handler;
        MessagesReceived++;
        Acks.MessageTaken();
        Decoder.Decode(message.Bytes, ref handler);
        foreach (var relation in Assembler.RelationsToRefresh)
        {
            Refresh(relation);
        }

        Assembler.RelationsToRefresh.Clear();
        if (Assembler.TakeCompleted() is { } completed
            && !await HandOff.OfferAsync(completed.Changes, completed.CommitTimestamp, completed.EndLsn, _stop.Token))
        {
            Skipped++;
        }

        Acks.MessageHandled(Assembler.HasOpenTransactions);
    }

    /// <summary>The next transaction the hand-off stage wrote into the feed (not dispatched: the caller decides).</summary>
    public async Task<ChangeTransaction> NextAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(s_wait);
        return await Feed.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>True when the feed has nothing to read (after giving the hand-off stage time to write).</summary>
    public async Task<bool> FeedStaysEmptyAsync()
    {
        await Task.Delay(100);
        return !Feed.Reader.TryPeek(out _);
    }

    /// <summary>The LSN the capture reported for the message ("lsn=0/15406A0"): where the walsender had read to.</summary>
    public static ulong CapturedLsn(CapturedMessage message)
    {
        var at = message.Annotation.IndexOf("lsn=", StringComparison.Ordinal) + 4;
        var text = message.Annotation[at..message.Annotation.IndexOf(' ', at)];
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        return (Convert.ToUInt64(text[..slash], 16) << 32) | Convert.ToUInt64(text[(slash + 1)..], 16);
    }

    public static string Json(ChangeEvent change) => Encoding.UTF8.GetString(change.DataJson.Span);

    public async ValueTask DisposeAsync()
    {
        HandOff.Complete();
        await _stop.CancelAsync();
        try
        {
            await _handingOff;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
        await _neverOpened.DisposeAsync();
    }

    private (PgOutputDecoder, TransactionAssembler, AssemblerHandler) NewConnection()
    {
        var streaming = _protocolVersion >= PgOutputDecodeOptions.StreamingVersion ? PgOutputStreamingMode.On : PgOutputStreamingMode.Off;
        var decoder = new PgOutputDecoder(new PgOutputDecodeOptions(_protocolVersion, streaming), new RelationCache());
        var assembler = new TransactionAssembler();
        return (decoder, assembler, new AssemblerHandler(assembler, decoder));
    }

    /// <summary>What <c>ReplicationCatalog.RefreshRelationAsync</c> reads from pg_type and pg_index, for the captured schema.</summary>
    private void Refresh(RelationInfo relation)
    {
        Catalog.SetPrimaryKey(relation.Id, ["id"]); // every table of the capture has "id" as its primary key
        foreach (var column in relation.Columns)
        {
            if (s_builtInTypes.TryGetValue(column.TypeOid, out var type))
            {
                Catalog.AddType(column.TypeOid, type.Name, type.Name, type.Category, 0, ',');
            }
            else if (column.Name == "m")
            {
                Catalog.AddType(column.TypeOid, "mood", "mood", 'E', 0, ','); // create type mood as enum
            }
            else if (column.Name == "p")
            {
                Catalog.AddType(column.TypeOid, "posint", "int4", 'N', 0, ','); // create domain posint as int4: its base decides
            }
        }
    }
}
