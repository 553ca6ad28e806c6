using Fixture = MadBase.Edge.Tests.Replication.ReplicationStreamTests.Fixture;

namespace MadBase.Edge.Tests.Replication;

/// <summary>Large transactions and crash recovery, observed through the durable change log.</summary>
[Collection(HeavyWalCollection.Name)]
public sealed class ReplicationLoadTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Stream_50000RowTransaction_EmitsEveryRowOnceInOrder(bool streamedByServer)
    {
        await using var fixture = await Fixture.StartAsync("create table items(id bigint primary key, v text)");
        if (streamedByServer)
        {
            // Small decoding memory makes the walsender stream the transaction while it is in progress.
            await fixture.ExecuteAsync($"alter database {fixture.DatabaseName} set logical_decoding_work_mem = '64kB'");
            await fixture.Edge.DisposeAsync();
            fixture.Edge = await EdgeProcess.StartAsync(fixture.Database, fixture.Configure);
        }

        await fixture.ExecuteAsync(
            "begin; insert into items values (0, 'aborted'); savepoint s; insert into items select g, 'gone' from generate_series(100001, 100100) g; rollback to savepoint s; rollback",
            "begin; insert into items select g, md5(g::text) from generate_series(1, 50000) g; savepoint s; insert into items values (99999999, 'rolled back'); rollback to savepoint s; commit");

        var entries = await fixture.WaitForChangesAsync(50000, TimeSpan.FromSeconds(120));
        var ids = entries.Select(e => e.Data.GetProperty("record").GetProperty("id").GetInt64()).ToArray();
        Assert.Equal(Enumerable.Range(1, 50000).Select(i => (long)i), ids);
        Assert.Single(entries.Select(e => e.EndLsn).Distinct());
    }

    [Fact]
    public async Task Kill_MidLoadOf100000Rows_RestartEmitsEveryCommittedRowExactlyOnce()
    {
        await using var fixture = await Fixture.StartAsync("create table items(id bigint primary key, v text)");
        var load = Task.Run(async () =>
        {
            await using var connection = new NpgsqlConnection(fixture.Database);
            await connection.OpenAsync();
            for (var batch = 0; batch < 100; batch++)
            {
                await using var insert = new NpgsqlCommand($"insert into items select g, md5(g::text) from generate_series({(batch * 1000) + 1}, {(batch + 1) * 1000}) g", connection);
                await insert.ExecuteNonQueryAsync();
            }
        });

        await fixture.WaitForChangesAsync(20000, TimeSpan.FromSeconds(120));
        await fixture.Edge.KillHardAsync();
        await fixture.Edge.DisposeAsync();
        fixture.Edge = await EdgeProcess.StartAsync(fixture.Database, fixture.Configure);
        await load;

        var entries = await fixture.WaitForChangesAsync(100000, TimeSpan.FromSeconds(180));
        var ids = entries.Select(e => e.Data.GetProperty("record").GetProperty("id").GetInt64()).Order().ToArray();
        Assert.Equal(Enumerable.Range(1, 100000).Select(i => (long)i), ids);
    }
}
