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

    private string Slot { get; } = NewSlotName();

    public async ValueTask InitializeAsync() => (Database, Edge) = await StartEdgeAsync(Slot);

    public async ValueTask DisposeAsync() => await StopEdgeAsync(Edge, Database, Slot);

    /// <summary>
    /// A published server on a fresh database for a realtime fixture: the fast test timings of
    /// <see cref="Configure"/>, its own <paramref name="slot"/>, and <paramref name="settings"/> on top.
    /// </summary>
    internal static async Task<(string Database, EdgeProcess Edge)> StartEdgeAsync(string slot, Action<Dictionary<string, string>>? settings = null)
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        var edge = await EdgeProcess.StartAsync(database, env =>
        {
            Configure(env);
            env["MADBASE_SLOT"] = slot;
            settings?.Invoke(env);
        });
        return (database, edge);
    }

    /// <summary>Stops a server from <see cref="StartEdgeAsync"/> and drops its slot.</summary>
    internal static async Task StopEdgeAsync(EdgeProcess edge, string database, string slot)
    {
        await edge.DisposeAsync();
        await DropSlotAsync(database, slot);
    }

    /// <summary>Slots are cluster-wide: every test server gets its own name so servers never contend for one.</summary>
    internal static string NewSlotName() => "rt_" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>
    /// Drops a test server's permanent slot once the walsender has let go of it, so test runs do not exhaust
    /// max_replication_slots (best effort: a leftover slot only pins WAL of a throwaway database).
    /// </summary>
    internal static async Task DropSlotAsync(string database, string slot)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        for (var attempt = 0; attempt < 50; attempt++)
        {
            await using var command = new NpgsqlCommand(
                "select active from pg_replication_slots where slot_name = $1", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = slot });
            var active = await command.ExecuteScalarAsync();
            if (active is null)
            {
                return;
            }

            if (active is false)
            {
                await using var drop = new NpgsqlCommand("select pg_drop_replication_slot($1)", connection);
                drop.Parameters.Add(new NpgsqlParameter { Value = slot });
                try
                {
                    await drop.ExecuteNonQueryAsync();
                    return;
                }
                catch (PostgresException)
                {
                    // Became active again in between: retry.
                }
            }

            await Task.Delay(100);
        }
    }

    internal static void Configure(Dictionary<string, string> environment)
    {
        environment["MADBASE_REALTIME_IDLE_TIMEOUT_MS"] = "4000";
        environment["MADBASE_REALTIME_JOIN_ERROR_DELAY_MS"] = "200";
        environment["MADBASE_REALTIME_TOKEN_GRACE_MS"] = "500";
        environment["MADBASE_REALTIME_MAX_MESSAGE_BYTES"] = MaxMessageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
