using MadBase.Edge.Diagnostics;
using Npgsql;

namespace MadBase.Edge.Database;

/// <summary>
/// Applies migrations at start, retrying with backoff while the database is unreachable, so the process can start
/// before PostgreSQL and become ready when it arrives. Readiness reports "migrations" until they are applied.
/// </summary>
internal sealed class MigrationService(Migrator migrator, Readiness readiness, ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger("MadBase.Edge.Database.MigrationService");

    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(5);
    private readonly TaskCompletionSource _applied = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile string _state = "not yet applied";

    /// <summary>Completes once every migration is applied; other services wait on it before touching the schema.</summary>
    public Task Applied => _applied.Task;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        readiness.Add("migrations", _ => ValueTask.FromResult(_applied.Task.IsCompletedSuccessfully ? ReadinessResult.Pass() : ReadinessResult.Fail(_state)));
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await migrator.ApplyAsync(stoppingToken);
                _state = "applied";
                _applied.TrySetResult();
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
            {
                _state = ex.Message;
                Log.MigrationRetry(_logger, ex.Message, backoff.TotalMilliseconds);
            }

            try
            {
                await Task.Delay(backoff, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, s_maxBackoff.Ticks));
        }

        _applied.TrySetCanceled(stoppingToken);
    }
}
