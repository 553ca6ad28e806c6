namespace MadBase.Edge.Tests.Realtime.Conformance;

/// <summary>
/// The published server for the WebSocket conformance suite: the realtime test settings (64 KiB message limit) and a
/// per-socket event rate high enough that the 1,000-message cases of group 9 are not rate limited.
/// </summary>
public sealed class ConformanceServerFixture : IAsyncLifetime
{
    internal EdgeProcessHandle Server { get; private set; } = null!;

    private string Slot { get; } = RealtimeServerFixture.NewSlotName();

    public async ValueTask InitializeAsync()
    {
        var (database, edge) = await RealtimeServerFixture.StartEdgeAsync(Slot, env =>
        {
            // Framing is under test here, not the per-sender limits: the large-message cases send megabytes at once.
            env["MADBASE_REALTIME_MAX_EVENTS_PER_SECOND"] = "100000";
            env["MADBASE_REALTIME_MAX_BYTES_PER_SECOND"] = "1000000000";
        });
        Server = new EdgeProcessHandle(database, edge);
    }

    public async ValueTask DisposeAsync() => await RealtimeServerFixture.StopEdgeAsync(Server.Edge, Server.Database, Slot);

    internal sealed record EdgeProcessHandle(string Database, Infrastructure.EdgeProcess Edge);
}
