using MadBase.Edge.Tests.Realtime;

namespace MadBase.Edge.Tests.Security;

/// <summary>
/// Two published servers on one database for the security checks: realtime sockets on the epoll transport (the
/// default) and on Kestrel's (the connection middleware), since each reads the upgrade head on its own path.
/// Small limits so the oversized cases are cheap: 64 KiB messages, 1 MiB uploads.
/// </summary>
public sealed class SecurityServerFixture : IAsyncLifetime
{
    public const int MaxMessageBytes = 64 * 1024;
    public const int MaxUploadBytes = 1024 * 1024;

    private readonly string _epollSlot = RealtimeServerFixture.NewSlotName();
    private readonly string _kestrelSlot = RealtimeServerFixture.NewSlotName();

    internal EdgeProcess Epoll { get; private set; } = null!;

    internal EdgeProcess Kestrel { get; private set; } = null!;

    public string Database { get; private set; } = "";

    internal EdgeProcess For(string transport) => transport == "kestrel" ? Kestrel : Epoll;

    public async ValueTask InitializeAsync()
    {
        Database = await TestEnvironment.CreateDatabaseAsync();
        Epoll = await StartAsync(_epollSlot, null);
        Kestrel = await StartAsync(_kestrelSlot, "kestrel");
    }

    public async ValueTask DisposeAsync()
    {
        await RealtimeServerFixture.StopEdgeAsync(Epoll, Database, _epollSlot);
        await RealtimeServerFixture.StopEdgeAsync(Kestrel, Database, _kestrelSlot);
    }

    private Task<EdgeProcess> StartAsync(string slot, string? transport) => EdgeProcess.StartAsync(Database, env =>
    {
        RealtimeServerFixture.Configure(env);
        env["MADBASE_SLOT"] = slot;
        env["MADBASE_REALTIME_MAX_MESSAGE_BYTES"] = MaxMessageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["MADBASE_UPLOAD_MAX_SIZE"] = MaxUploadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (transport is not null)
        {
            env["MADBASE_REALTIME_TRANSPORT"] = transport;
        }
    });
}
