namespace MadBase.Edge.Tests.Replication;

/// <summary>
/// The PostgreSQL rule the resume ceiling relies on (<c>ChangeHistory.ConfirmableBefore</c>, <c>ResumeKeeper</c>): after
/// a slot is confirmed at an LSN, a transaction is streamed again only if its commit record starts at or after it.
/// Confirming the end of the transaction before T streams T again; confirming T's end minus one (inside T's commit
/// record) does not, so a channel standing inside T would lose T's rest after a restart.
/// </summary>
public sealed class SlotConfirmationTests
{
    [Fact]
    public async Task ConfirmedAtThePreviousEnd_StreamsTheTransactionAgain_ConfirmedInsideItsCommitRecord_SkipsIt()
    {
        await using var connection = new NpgsqlConnection(await TestEnvironment.CreateDatabaseAsync());
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await ExecuteAsync(connection, "create table t(id int)");
        // Temporary slots: dropped with this session; both see the same two transactions.
        await ExecuteAsync(connection, "select pg_create_logical_replication_slot('at_previous_end', 'test_decoding', true)");
        await ExecuteAsync(connection, "select pg_create_logical_replication_slot('inside_commit', 'test_decoding', true)");
        await ExecuteAsync(connection, "insert into t values (1)");
        await ExecuteAsync(connection, "insert into t select generate_series(2, 4)");

        // test_decoding's COMMIT rows carry the transaction's end LSN, as pgoutput's Commit does (ChangeTransaction.EndLsn).
        var ends = new List<string>();
        await using (var peek = new NpgsqlCommand("select lsn::text from pg_logical_slot_peek_changes('at_previous_end', null, null) where data like 'COMMIT%'", connection))
        await using (var reader = await peek.ExecuteReaderAsync(TestContext.Current.CancellationToken))
        {
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                ends.Add(reader.GetString(0));
            }
        }

        Assert.Equal(2, ends.Count);
        await ExecuteAsync(connection, $"select pg_replication_slot_advance('at_previous_end', '{ends[0]}')");
        await ExecuteAsync(connection, $"select pg_replication_slot_advance('inside_commit', ('{ends[1]}'::pg_lsn - 1))");

        Assert.Equal(3, await CountInsertsAsync(connection, "at_previous_end")); // the second transaction, whole
        Assert.Equal(0, await CountInsertsAsync(connection, "inside_commit")); // skipped: confirming end - 1 loses it
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    private static async Task<long> CountInsertsAsync(NpgsqlConnection connection, string slot)
    {
        await using var command = new NpgsqlCommand($"select count(*) from pg_logical_slot_peek_changes('{slot}', null, null) where data like 'table public.t: INSERT%'", connection);
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}
