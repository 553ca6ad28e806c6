using System.Text.RegularExpressions;

namespace MadBase.Edge.Tests.Replication;

public sealed class ReplicationSlotTests
{
    [Fact]
    public async Task Start_NoSlot_CreatesPermanentPgoutputSlotAndStreams()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        await using var edge = await EdgeProcess.StartAsync(database);
        var slot = EdgeProcess.SlotFor(database);

        await WaitUntilAsync(async () => await ScalarAsync<bool?>(database, "select active from pg_replication_slots where slot_name = $1", slot) == true, TimeSpan.FromSeconds(20));
        Assert.Equal("pgoutput", await ScalarAsync<string>(database, "select plugin from pg_replication_slots where slot_name = $1", slot));
        Assert.False(await ScalarAsync<bool>(database, "select temporary from pg_replication_slots where slot_name = $1", slot));
        Assert.Contains("streaming", await edge.Http.GetStringAsync("/ready"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Idle_WritesOnlyElsewhere_ConfirmedFlushFollowsWalWithin10Seconds()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        await using var edge = await EdgeProcess.StartAsync(database);
        var slot = EdgeProcess.SlotFor(database);
        await WaitUntilAsync(async () => await ScalarAsync<bool?>(database, "select active from pg_replication_slots where slot_name = $1", slot) == true, TimeSpan.FromSeconds(20));

        // WAL from another database only: nothing this slot publishes.
        var other = await TestEnvironment.CreateDatabaseAsync();
        await ScalarAsync<object>(other, "create table noise(id int); insert into noise select generate_series(1, 20000); select 1");
        var target = await ScalarAsync<string>(other, "select pg_current_wal_lsn()::text");

        await WaitUntilAsync(
            async () => await ScalarAsync<bool>(database, "select confirmed_flush_lsn >= $2::pg_lsn from pg_replication_slots where slot_name = $1", slot, target),
            TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task SecondProcess_SameSlot_StandsByAndTakesOverWhenFirstStops()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        var first = await EdgeProcess.StartAsync(database);
        var slot = EdgeProcess.SlotFor(database);
        await WaitUntilAsync(async () => await ScalarAsync<bool?>(database, "select active from pg_replication_slots where slot_name = $1", slot) == true, TimeSpan.FromSeconds(20));

        await using var second = await EdgeProcess.StartAsync(database);
        await WaitUntilAsync(() => Task.FromResult(second.Log.Contains("standing by", StringComparison.Ordinal)), TimeSpan.FromSeconds(15));
        var firstPid = await ScalarAsync<int>(database, "select active_pid from pg_replication_slots where slot_name = $1", slot);

        await first.DisposeAsync();
        await WaitUntilAsync(
            async () => await ScalarAsync<int?>(database, "select active_pid from pg_replication_slots where slot_name = $1", slot) is { } pid && pid != firstPid,
            TimeSpan.FromSeconds(30));
        Assert.Contains("Streaming from slot", second.Log, StringComparison.Ordinal);
    }

    /// <remarks>
    /// A standby's polls once backed off like a failing connection (doubling to 30 s): after 25 s of standing by its
    /// next ask came about 12 s later, so a leader that had lived a minute was replaced only after up to half a minute.
    /// </remarks>
    [Fact]
    public async Task Standby_AfterTwentyFiveSecondsStandingBy_TakesOverWithinFiveSecondsOfTheLeadersKillDashNine()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        await using var first = await EdgeProcess.StartAsync(database);
        var slot = EdgeProcess.SlotFor(database);
        await WaitUntilAsync(async () => await ScalarAsync<bool?>(database, "select active from pg_replication_slots where slot_name = $1", slot) == true, TimeSpan.FromSeconds(20));

        await using var second = await EdgeProcess.StartAsync(database);
        await WaitUntilAsync(() => Task.FromResult(second.Log.Contains("standing by", StringComparison.Ordinal)), TimeSpan.FromSeconds(15));
        await Task.Delay(TimeSpan.FromSeconds(25));
        var firstPid = await ScalarAsync<int>(database, "select active_pid from pg_replication_slots where slot_name = $1", slot);

        await first.KillHardAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await WaitUntilAsync(
            async () => await ScalarAsync<int?>(database, "select active_pid from pg_replication_slots where slot_name = $1", slot) is { } pid && pid != firstPid,
            TimeSpan.FromSeconds(30));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the standby took the slot {clock.Elapsed.TotalSeconds:F1} s after the kill");
        Assert.Equal(1, Regex.Count(second.Log, "standing by")); // said once, not at every ask
    }

    internal static async Task<T> ScalarAsync<T>(string connectionString, string sql, params object[] parameters)
    {
        var value = await TestSql.ScalarAsync(connectionString, sql, parameters);
        return value is DBNull or null ? default! : (T)value;
    }

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"condition not met within {timeout.TotalSeconds} s");
            }

            await Task.Delay(200);
        }
    }
}
