using MadBase.Edge.Realtime.Delivery;
using MadBase.Protocol.Phoenix;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>
/// The change router in process, on what needs no database: service_role channels (no RLS probe, no column
/// privileges) on tables without <c>select</c> lists. Which channels a committed change reaches, that channels asking
/// the same thing share one frame, and that the transaction is marked dispatched once it is in the log.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class ChangeRouterTests : IAsyncDisposable
{
    private const string Topic = "realtime:todos";

    private readonly InProcessRouting _routing = new();

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
        Assert.Equal(400UL, _routing.Acks.HandedOffThrough);
        Assert.Equal(0, _routing.Feed.BytesInFlight); // dispatched once: the feed's budget is back
        Assert.Equal(ChangePosition.After(400), _routing.Realtime.Hub.DeliveryLog.RoutedThrough);
    }

    [Fact]
    public async Task Route_TransactionOfMoreMatchesThanOneWindow_EveryChannelGetsEveryChangeOnceInOrder()
    {
        // 1,000 channels × 50 changes = 50,000 (change, channel) pairs: routed in two windows, not held at once.
        var channels = Enumerable.Range(0, 1000).Select(_ => Join(PhoenixVersion.V2, """{"event":"INSERT","schema":"public","table":"todos"}""")).ToList();

        await RouteAsync(500, [.. Enumerable.Range(1, 50).Select(id => Change("todos", ChangeKind.Insert, id))]);

        Assert.All(channels, channel => Assert.Equal(
            Enumerable.Range(1, 50).Select(id => $"\"id\":{id}}}"),
            Taken(channel).Select(frame => System.Text.RegularExpressions.Regex.Match(Encoding.UTF8.GetString(frame), "\"id\":\\d+}").Value)));
        Assert.Equal(500UL, _routing.Acks.HandedOffThrough);
    }

    public ValueTask DisposeAsync() => _routing.DisposeAsync();

    private RealtimeChannel Join(PhoenixVersion version, params string[] bindings) => _routing.Realtime.Join(Topic, version, bindings);

    private async Task RouteAsync(ulong endLsn, params ChangeEvent[] changes)
    {
        await _routing.Router.StartAsync(TestContext.Current.CancellationToken);
        await _routing.RouteAsync(endLsn, changes.Select(change => Stamped(change, endLsn)));
    }

    private static ChangeEvent Change(string table, ChangeKind kind, int id = 1) => new()
    {
        Source = new ChangeSource("public", table, [new ChangeColumn("id", "int4", 23, IsKey: true)], DateTimeOffset.UnixEpoch, 0, PayloadError: null, Encoder: null),
        Kind = kind,
        Record = [new ChangeValue(ChangeValueKind.Text, id.ToString(System.Globalization.CultureInfo.InvariantCulture))],
        OldRecord = [],
        DataJson = Encoding.UTF8.GetBytes($$$"""{"schema":"public","table":"{{{table}}}","type":"{{{kind}}}","record":{"id":{{{id}}}}}"""),
    };

    private static ChangeEvent Stamped(ChangeEvent change, ulong endLsn) => new()
    {
        Source = new ChangeSource(change.Schema, change.Table, change.Columns, change.CommitTimestamp, endLsn, PayloadError: null, Encoder: null),
        Kind = change.Kind,
        Record = change.Record,
        OldRecord = change.OldRecord,
        DataJson = change.DataJson,
    };

    private static List<byte[]> Taken(RealtimeChannel channel) => InProcessHub.Take(channel);
}
