using System.Text;
using MadBase.Edge.Auth;
using MadBase.Edge.Configuration;
using MadBase.Edge.Diagnostics;
using MadBase.Edge.Realtime;
using MadBase.Edge.Realtime.Authorization;
using MadBase.Edge.Realtime.Delivery;
using MadBase.Edge.Realtime.PostgresChanges;
using MadBase.Edge.Realtime.Replay;
using MadBase.Edge.Realtime.Routing;
using MadBase.Edge.Replication;
using MadBase.Edge.WebSockets;
using MadBase.Protocol.Phoenix;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>
/// The change router in process, on what needs no database: service_role channels (no RLS probe, no column
/// privileges) on tables without <c>select</c> lists. Which channels a committed change reaches, that channels asking
/// the same thing share one frame, and that the transaction is marked dispatched once it is in the log.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class ChangeRouterTests : IOutboundOverflowHandler, IChangeGapHandler, IAsyncDisposable
{
    private const string Topic = "realtime:todos";
    private static readonly JwtClaims s_serviceRole = new("service_role", null, null, null, """{"role":"service_role"}""");

    // Never opened: every path these tests take is free of I/O, and a connection attempt would fail the test.
    private readonly NpgsqlDataSource _database = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=none;Timeout=1");
    private readonly SlotAcknowledger _acks = new(handOffIsChangeBus: false);
    private readonly ChangeFeed _feed;
    private readonly RealtimeHub _hub;
    private readonly ChangeRouter _router;

    public ChangeRouterTests()
    {
        _feed = new ChangeFeed(_acks);
        var metrics = new EdgeMetrics();
        var replication = new ReplicationState(metrics, new Readiness());
        _hub = new RealtimeHub(RealtimeOptions.Defaults, new Jwt(new byte[32], TimeProvider.System), ApiKeys.None, TimeProvider.System, metrics, NullLoggerFactory.Instance,
            new ChannelAuthorizer(_database, NullLogger<ChannelAuthorizer>.Instance), new ReplayReader(_database), replication);
        _router = new ChangeRouter(_feed, _hub, new RlsProbe(_database, _hub), new ColumnAccess(_database, _hub), new ReplicationCatalog(_database), replication);
    }

    [Fact]
    public async Task Route_SameBindingsShareOneFramePerVersion()
    {
        var a = Join(PhoenixVersion.V2, """{"event":"*","schema":"public","table":"todos"}""");
        var b = Join(PhoenixVersion.V2, """{"event":"*","schema":"public","table":"todos"}""");
        var v1 = Join(PhoenixVersion.V1, """{"event":"*","schema":"public","table":"todos"}""");

        await RouteAsync(100, Change("todos", ChangeKind.Insert));

        var frameA = Assert.Single(Taken(a));
        Assert.Same(frameA, Assert.Single(Taken(b)));
        var frameV1 = Assert.Single(Taken(v1));
        Assert.NotSame(frameA, frameV1);
        var text = Encoding.UTF8.GetString(frameA);
        Assert.Contains("\"postgres_changes\"", text, StringComparison.Ordinal);
        Assert.Contains($"\"ids\":[{a.Bindings[0].Id}]", text, StringComparison.Ordinal);
        Assert.Contains("\"id\":1", text, StringComparison.Ordinal); // the change's JSON, wrapped untouched
    }

    [Fact]
    public async Task Route_OnlyMatchingBindingsOpenChannelsAndNewChanges()
    {
        var inserts = Join(PhoenixVersion.V2, """{"event":"INSERT","schema":"public","table":"todos"}""");
        var updates = Join(PhoenixVersion.V2, """{"event":"UPDATE","schema":"public","table":"todos"}""");
        var otherTable = Join(PhoenixVersion.V2, """{"event":"*","schema":"public","table":"notes"}""");
        var closed = Join(PhoenixVersion.V2, """{"event":"*","schema":"public","table":"todos"}""");
        closed.MarkClosed();
        var alreadySent = Join(PhoenixVersion.V2, """{"event":"*","schema":"public","table":"todos"}""");
        alreadySent.DeliverAfter = new ChangePosition(200, 0); // a resumed channel: the history sent it this one

        await RouteAsync(200, Change("todos", ChangeKind.Insert));

        Assert.Single(Taken(inserts));
        Assert.Empty(Taken(updates));
        Assert.Empty(Taken(otherTable));
        Assert.Empty(Taken(closed));
        Assert.Empty(Taken(alreadySent));
    }

    [Fact]
    public async Task Route_TwoBindingsOfOneChannel_OneFrameWithBothIds()
    {
        var channel = Join(PhoenixVersion.V2, """{"event":"*","schema":"public","table":"todos"}""", """{"event":"INSERT","schema":"public"}""");

        await RouteAsync(300, Change("todos", ChangeKind.Insert));

        var text = Encoding.UTF8.GetString(Assert.Single(Taken(channel)));
        Assert.Contains($"\"ids\":[{channel.Bindings[0].Id},{channel.Bindings[1].Id}]", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Route_TransactionInCommitOrder_DispatchedOnceInTheLog()
    {
        var channel = Join(PhoenixVersion.V2, """{"event":"*","schema":"public","table":"todos"}""");

        await RouteAsync(400, Change("todos", ChangeKind.Insert, id: 1), Change("notes", ChangeKind.Insert, id: 2), Change("todos", ChangeKind.Update, id: 3));

        var frames = Taken(channel).Select(Encoding.UTF8.GetString).ToList();
        Assert.Equal(2, frames.Count);
        Assert.Contains("\"id\":1", frames[0], StringComparison.Ordinal);
        Assert.Contains("\"id\":3", frames[1], StringComparison.Ordinal);
        Assert.Equal(400UL, _acks.HandedOffThrough);
        Assert.Equal(0, _feed.BytesInFlight); // dispatched once: the feed's budget is back
        Assert.Equal(ChangePosition.After(400), _hub.DeliveryLog.RoutedThrough);
    }

    public async ValueTask DisposeAsync()
    {
        await _router.StopAsync(CancellationToken.None);
        _router.Dispose();
        _hub.Dispose();
        await _database.DisposeAsync();
    }

    void IOutboundOverflowHandler.OnOverflow(OutboundQueue queue)
    {
    }

    void IChangeGapHandler.OnChangesMissed(LogCursor cursor) => throw new InvalidOperationException("no reader may fall behind here");

    private RealtimeChannel Join(PhoenixVersion version, params string[] bindings)
    {
        Assert.True(JoinConfig.TryParse("{}"u8, out var config));
        var queue = new OutboundQueue(64, TimeSpan.FromSeconds(30), TimeProvider.System, new Counter(), this);
        var channel = new RealtimeChannel(Topic, "1", version, queue, config, s_serviceRole, null, ChannelPolicies.All)
        {
            Bindings = [.. bindings.Select(json => PostgresBinding.Parse(Encoding.UTF8.GetBytes(json), out _, out var error) ?? throw new InvalidOperationException(error))],
        };
        channel.Cursor = new LogCursor(_hub.DeliveryLog, queue, this);
        channel.MarkLive();
        _hub.Subscriptions.Add(channel, channel.Bindings);
        return channel;
    }

    private async Task RouteAsync(ulong endLsn, params ChangeEvent[] changes)
    {
        await _router.StartAsync(TestContext.Current.CancellationToken);
        Assert.True(_acks.Accept(endLsn));
        var transaction = new ChangeTransaction(endLsn, DateTimeOffset.UnixEpoch, [.. changes.Select(change => Stamped(change, endLsn))]);
        await _feed.WriteAsync(transaction, TestContext.Current.CancellationToken);

        // The router reports the hand-off to the acknowledger once every change is in the delivery log.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (_acks.HandedOffThrough < endLsn)
        {
            Assert.True(DateTime.UtcNow < deadline, $"transaction {endLsn} was never reported routed");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }

    private static ChangeEvent Change(string table, ChangeKind kind, int id = 1) => new()
    {
        Schema = "public",
        Table = table,
        Kind = kind,
        CommitTimestamp = DateTimeOffset.UnixEpoch,
        CommitEndLsn = 0,
        Columns = [new ChangeColumn("id", "int4", 23, IsKey: true)],
        Record = [new ChangeValue(ChangeValueKind.Text, id.ToString(System.Globalization.CultureInfo.InvariantCulture))],
        OldRecord = [],
        DataJson = Encoding.UTF8.GetBytes($$$"""{"schema":"public","table":"{{{table}}}","type":"{{{kind}}}","record":{"id":{{{id}}}}}"""),
    };

    private static ChangeEvent Stamped(ChangeEvent change, ulong endLsn) => new()
    {
        Schema = change.Schema,
        Table = change.Table,
        Kind = change.Kind,
        CommitTimestamp = change.CommitTimestamp,
        CommitEndLsn = endLsn,
        Columns = change.Columns,
        Record = change.Record,
        OldRecord = change.OldRecord,
        DataJson = change.DataJson,
    };

    private static List<byte[]> Taken(RealtimeChannel channel)
    {
        channel.Cursor!.Notify(); // the log's wake-up arms the queue's source; take what the cursor reads
        var batch = channel.Outbound.TakeAll(out var count);
        var frames = batch.Take(count).Select(frame => frame.Bytes).ToList();
        channel.Outbound.Return(batch, count);
        return frames;
    }
}
