using MadBase.Edge.Realtime.Delivery;
using MadBase.Protocol.Phoenix;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>
/// Rejoins served by the router in process: channels rejoining together from different positions each get exactly the
/// held changes after their own position, in order, from one replay pass whose frames they share, then live changes;
/// and the resume keeper's ceiling around them.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class ChangeRouterResumeTests : IResumeListener, IAsyncDisposable
{
    private const string Topic = "realtime:todos";
    private const string Insert = """{"event":"INSERT","schema":"public","table":"todos"}""";

    private readonly InProcessRouting _routing = new();
    private readonly List<RealtimeChannel> _gaps = [];

    public ChangeRouterResumeTests()
    {
        _routing.Realtime.Replication.SetFirstStreamedAfter(100); // the history starts after 100
    }

    [Fact]
    public async Task Resume_ChannelsFromDifferentPositions_EachGetsWhatItMissedOnce_SharedFrames_ThenLive()
    {
        await _routing.Router.StartAsync(TestContext.Current.CancellationToken);
        await RouteAsync(200, 1, 2);
        await RouteAsync(300, 3);
        await RouteAsync(400, 4);

        var fromStart = _routing.Realtime.Join(Topic, PhoenixVersion.V2, register: false, Insert);
        var afterFirst = _routing.Realtime.Join(Topic, PhoenixVersion.V2, register: false, Insert);
        var afterThird = _routing.Realtime.Join(Topic, PhoenixVersion.V2, register: false, Insert);
        var taken = new Dictionary<RealtimeChannel, List<byte[]>> { [fromStart] = [], [afterFirst] = [], [afterThird] = [] };
        foreach (var (channel, from) in new[] { (fromStart, ChangePosition.After(100)), (afterFirst, new ChangePosition(200, 0)), (afterThird, ChangePosition.After(300)) })
        {
            Assert.True(_routing.Realtime.Hub.ResumeRequests.Writer.TryWrite(new ResumeRequest(channel, from, this)));
        }

        await WaitForAsync(taken, fromStart, 4);
        await WaitForAsync(taken, afterFirst, 3);
        await WaitForAsync(taken, afterThird, 1);
        await RouteAsync(500, 5); // live: registered after the replay
        await WaitForAsync(taken, fromStart, 5);
        await WaitForAsync(taken, afterFirst, 4);
        await WaitForAsync(taken, afterThird, 2);

        Assert.Equal([1, 2, 3, 4, 5], Ids(taken[fromStart]));
        Assert.Equal([2, 3, 4, 5], Ids(taken[afterFirst]));
        Assert.Equal([4, 5], Ids(taken[afterThird]));
        Assert.Same(taken[fromStart][3], taken[afterThird][0]); // change 4: one frame for every rejoining channel
        Assert.Empty(_gaps);
    }

    [Fact]
    public async Task Keeper_SnapshotWithoutChannels_CeilingStaysAtWhatWasRouted_SoAClientJoiningLaterKeepsItsStart()
    {
        await _routing.Router.StartAsync(TestContext.Current.CancellationToken);
        await RouteAsync(200, 1);
        _ = new MadBase.Edge.Realtime.Routing.ResumeKeeper(_routing.Realtime.Hub, _routing.Acks, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance); // its first snapshot: no channel yet

        // A client joins now (its start: what was routed, 200) and rows follow before the keeper's next snapshot; it
        // proves nothing before a kill -9, so the slot must still stream everything after 200 again.
        var joined = _routing.Realtime.Join(Topic, PhoenixVersion.V2, Insert);
        Assert.Equal(ChangePosition.After(200), _routing.Realtime.Hub.DeliveryLog.RoutedThrough);
        await RouteAsync(300, 2);

        Assert.Equal(200UL, _routing.Acks.Confirmable(lastReceived: 0));
        Assert.NotEmpty(InProcessHub.Take(joined));
    }

    void IResumeListener.OnResumeGap(RealtimeChannel channel) => _gaps.Add(channel);

    public ValueTask DisposeAsync() => _routing.DisposeAsync();

    private static int[] Ids(List<byte[]> frames) =>
        [.. frames.Select(frame => int.Parse(System.Text.RegularExpressions.Regex.Match(Encoding.UTF8.GetString(frame), "\"id\":(\\d+)}").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))];

    private static async Task WaitForAsync(Dictionary<RealtimeChannel, List<byte[]>> taken, RealtimeChannel channel, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            taken[channel].AddRange(InProcessHub.Take(channel));
            if (taken[channel].Count >= count)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{taken[channel].Count} of {count} frames");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }

    private Task RouteAsync(ulong endLsn, params int[] ids) => _routing.RouteAsync(endLsn, ids.Select(id => Change(endLsn, id)));

    private static ChangeEvent Change(ulong endLsn, int id) => new()
    {
        Source = new ChangeSource("public", "todos", [new ChangeColumn("id", "int4", 23, IsKey: true)], DateTimeOffset.UnixEpoch, endLsn, PayloadError: null, Encoder: null),
        Kind = ChangeKind.Insert,
        Record = [new ChangeValue(ChangeValueKind.Text, id.ToString(System.Globalization.CultureInfo.InvariantCulture))],
        OldRecord = [],
        DataJson = Encoding.UTF8.GetBytes($$$"""{"schema":"public","table":"todos","type":"INSERT","record":{"id":{{{id}}}}}"""),
    };
}
