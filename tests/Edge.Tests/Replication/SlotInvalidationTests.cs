namespace MadBase.Edge.Tests.Replication;

/// <summary>
/// An invalidated slot (<c>wal_status = lost</c>) must be reported loudly. Invalidation needs a cluster-wide
/// <c>max_slot_wal_keep_size</c>, so this runs in the serial collection, alone, and restores the setting.
/// </summary>
[Collection(HeavyWalCollection.Name)]
public sealed class SlotInvalidationTests
{
    [Fact]
    public async Task Start_SlotLostPastMaxSlotWalKeepSize_ReadyFailsMetricsAndLogSayInvalidated()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        var slot = EdgeProcess.SlotFor(database);
        await using (var first = await EdgeProcess.StartAsync(database))
        {
            await ReplicationSlotTests.WaitUntilAsync(
                async () => await ReplicationSlotTests.ScalarAsync<bool?>(database, "select active from pg_replication_slots where slot_name = $1", slot) == true,
                TimeSpan.FromSeconds(20));
        }

        try
        {
            await ExecuteAsync(TestEnvironment.AdminConnectionString, "alter system set max_slot_wal_keep_size = '1MB'", "select pg_reload_conf()");
            await ExecuteAsync(database, "create table filler(v text)");
            for (var i = 0; i < 4 && await WalStatusAsync(database, slot) != "lost"; i++)
            {
                await ExecuteAsync(database, "insert into filler select md5(g::text) from generate_series(1, 100000) g", "select pg_switch_wal()", "checkpoint");
            }

            Assert.Equal("lost", await WalStatusAsync(database, slot));
        }
        finally
        {
            await ExecuteAsync(TestEnvironment.AdminConnectionString, "alter system reset max_slot_wal_keep_size", "select pg_reload_conf()");
        }

        await using var edge = await EdgeProcess.StartAsync(database, waitForReady: false);
        await ReplicationSlotTests.WaitUntilAsync(() => Task.FromResult(edge.Log.Contains("IS INVALIDATED", StringComparison.Ordinal)), TimeSpan.FromSeconds(30));
        using var ready = await edge.Http.GetAsync("/ready");
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("invalidated", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Matches(@"(?m)^madbase_replication_slot_invalidated 1$", await edge.Http.GetStringAsync("/metrics"));
    }

    private static async Task<string?> WalStatusAsync(string database, string slot) =>
        await ReplicationSlotTests.ScalarAsync<string?>(database, "select wal_status from pg_replication_slots where slot_name = $1", slot);

    private static Task ExecuteAsync(string connectionString, params string[] statements) => TestSql.ExecuteAsync(connectionString, statements);
}
