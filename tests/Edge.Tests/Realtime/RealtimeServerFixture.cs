using MadBase.Edge.Tests.Infrastructure;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>
/// One published server shared by the realtime tests of a class: short idle timeout and join-error delay so tests
/// run fast, and a small message limit so the 1009 path is cheap to reach.
/// </summary>
public sealed class RealtimeServerFixture : IAsyncLifetime
{
    public const int MaxMessageBytes = 64 * 1024;

    internal EdgeProcess Edge { get; private set; } = null!;

    public string Database { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        Database = await TestEnvironment.CreateDatabaseAsync();
        Edge = await EdgeProcess.StartAsync(Database, env => Configure(env));
    }

    public async ValueTask DisposeAsync() => await Edge.DisposeAsync();

    internal static void Configure(Dictionary<string, string> environment)
    {
        environment["MADBASE_REALTIME_IDLE_TIMEOUT_MS"] = "4000";
        environment["MADBASE_REALTIME_JOIN_ERROR_DELAY_MS"] = "200";
        environment["MADBASE_REALTIME_TOKEN_GRACE_MS"] = "500";
        environment["MADBASE_REALTIME_MAX_MESSAGE_BYTES"] = MaxMessageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
