using System.Diagnostics;

namespace MadBase.Edge.Tests.Faults;

/// <summary>
/// Fault matrix (docs/faults.md): PostgreSQL restarted cleanly, and killed -9, while a writer commits rows and
/// subscribers listen. Runs on a cluster of its own (<see cref="DedicatedPostgres"/>). Must hold: the stream
/// resumes by itself, sockets stay, and every subscriber gets every committed row exactly once — the truth being
/// the table itself after the writer stops (a commit in doubt at the kill counts if and only if it is there).
/// (ReplicationStreamTests covers a terminated walsender, ReplicationLoadTests and ResumeTests a killed server.)
/// </summary>
public sealed class PostgresRestartTests
{
    private const int Subscribers = 3;

    [Fact]
    public Task PostgresKilled9MidStream_StreamResumesEverySubscriberGetsEveryRowOnce() => RunAsync("kill-9");

    /// <summary>
    /// A clean restart (<c>pg_ctl stop -m fast</c>). Found by this matrix: the shutdown did not finish while the
    /// server was connected — PostgreSQL waits for the logical walsender, which waits for the client to confirm
    /// flush up to the shutdown checkpoint, and the server confirms only what its resume window allows (pg_ctl gave
    /// up after 60 s). The stream now ends its session when PostgreSQL says it is shutting down (57P03).
    /// </summary>
    [Fact]
    public Task PostgresRestartedMidStream_StreamResumesEverySubscriberGetsEveryRowOnce() => RunAsync("restart");

    private static async Task RunAsync(string how)
    {
        await using var pg = await DedicatedPostgres.StartAsync();
        await using var server = await FaultServer.StartAsync(pg.ConnectionString, pg.ConnectionString);
        var subscribers = new List<ChangeSubscriber>();
        for (var i = 0; i < Subscribers; i++)
        {
            subscribers.Add(await ChangeSubscriber.JoinAsync(server.Edge.Port, "pg-" + how + "-" + i));
        }

        using var stopWriting = new CancellationTokenSource();
        var writer = new RowWriter(pg.ConnectionString);
        var writing = writer.RunAsync(stopWriting.Token);
        try
        {
            await writer.WaitForAsync(300);
            var down = Stopwatch.StartNew();
            var stopping = Stopwatch.StartNew();
            if (how == "restart")
            {
                await pg.StopAsync();
            }
            else
            {
                await pg.KillHardAsync();
            }

            var stopMs = (int)stopping.ElapsedMilliseconds;
            await Task.Delay(2000); // down for a moment: the writer fails, the server's stream retries
            await pg.StartAgainAsync();
            var upAfter = down.Elapsed;
            var firstAfter = writer.Attempted + 1;
            await writer.WaitForAsync(firstAfter + 300);
            await stopWriting.CancelAsync();
            await writing;

            var committed = await CommittedIdsAsync(pg.ConnectionString);
            foreach (var subscriber in subscribers)
            {
                await WaitForAsync(subscriber, committed, TimeSpan.FromSeconds(60));
            }

            var caughtUp = (down.Elapsed - upAfter).TotalMilliseconds;
            await Task.Delay(1000); // a late duplicate would arrive now
            var lost = subscribers.Sum(s => s.Count(committed).Lost);
            var duplicates = subscribers.Sum(s => s.Count(committed).Duplicates);
            var extra = subscribers.Sum(s => s.Count(committed).Extra);
            FaultServer.Report(
                "postgres-" + how,
                ("subscribers", Subscribers),
                ("rows_committed", committed.Count),
                ("writer_failures", writer.Failures),
                ("rows_lost", lost),
                ("duplicates", duplicates),
                ("uncommitted_delivered", extra),
                ("sockets_closed", subscribers.Count(s => s.ClosedBecause is not null)),
                ("pg_stop_ms", stopMs),
                ("pg_down_ms", (int)upAfter.TotalMilliseconds),
                ("all_rows_delivered_after_pg_up_ms", (int)caughtUp));
            Assert.All(subscribers, s => Assert.Null(s.ClosedBecause));
            Assert.Equal(0, lost);
            Assert.Equal(0, duplicates);
            Assert.Equal(0, extra);
        }
        finally
        {
            await stopWriting.CancelAsync();
            await writing.ContinueWith(_ => { }, TaskScheduler.Default);
            foreach (var subscriber in subscribers)
            {
                await subscriber.DisposeAsync();
            }
        }
    }

    private static async Task WaitForAsync(ChangeSubscriber subscriber, IReadOnlySet<int> ids, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (subscriber.Count(ids).Lost > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"rows missing after the restart: {subscriber.Count(ids).Lost}; closed: {subscriber.ClosedBecause}; errors: {string.Join(" | ", subscriber.Errors)}");
            await Task.Delay(100);
        }
    }

    private static async Task<HashSet<int>> CommittedIdsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select id from public.items", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new HashSet<int>();
        while (await reader.ReadAsync())
        {
            ids.Add((int)reader.GetInt64(0));
        }

        return ids;
    }

    /// <summary>Commits one row per transaction with increasing ids, reconnecting after failures.</summary>
    private sealed class RowWriter(string connectionString)
    {
        private int _attempted;
        private int _committed;

        public int Attempted => Volatile.Read(ref _attempted);

        public int Failures { get; private set; }

        public async Task WaitForAsync(int committed)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (Volatile.Read(ref _committed) < committed)
            {
                Assert.True(DateTime.UtcNow < deadline, $"the writer committed only {_committed} rows");
                await Task.Delay(20);
            }
        }

        public async Task RunAsync(CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await using var connection = new NpgsqlConnection(connectionString);
                    await connection.OpenAsync(stop);
                    while (!stop.IsCancellationRequested)
                    {
                        var id = Interlocked.Increment(ref _attempted);
                        await using var command = new NpgsqlCommand($"insert into public.items values ({id}, 'row {id}')", connection);
                        await command.ExecuteNonQueryAsync(CancellationToken.None);
                        _committed = id;
                        await Task.Delay(5, stop);
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
                {
                    Failures++;
                    await Task.Delay(200, CancellationToken.None);
                }
            }
        }
    }
}
