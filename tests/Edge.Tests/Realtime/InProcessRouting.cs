using MadBase.Edge.Realtime.Routing;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>
/// The router tests' fixture: an <see cref="InProcessHub"/>'s change router, not started, reading a
/// <see cref="ChangeFeed"/> whose acknowledger is told what the router handed off. Disposing stops it with the hub.
/// </summary>
internal sealed class InProcessRouting : IAsyncDisposable
{
    public InProcessRouting()
    {
        Feed = new ChangeFeed(Acks);
        Router = Realtime.Router(Feed, Realtime.EmptyCatalog());
    }

    public SlotAcknowledger Acks { get; } = new(handOffIsChangeBus: false);

    public ChangeFeed Feed { get; }

    public InProcessHub Realtime { get; } = new();

    public ChangeRouter Router { get; }

    /// <summary>
    /// Commits one transaction of <paramref name="changes"/> (as given) at <paramref name="endLsn"/> and waits until the
    /// router reports it handed off, which it does once every change is in the delivery log.
    /// </summary>
    public async Task RouteAsync(ulong endLsn, IEnumerable<ChangeEvent> changes)
    {
        Assert.True(Acks.Accept(endLsn));
        var transaction = new ChangeTransaction(endLsn, DateTimeOffset.UnixEpoch, [.. changes]);
        await Feed.WriteAsync(transaction, TestContext.Current.CancellationToken);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (Acks.HandedOffThrough < endLsn)
        {
            Assert.True(DateTime.UtcNow < deadline, $"transaction {endLsn} was never reported routed");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }

    public ValueTask DisposeAsync() => Realtime.DisposeAsync();
}
