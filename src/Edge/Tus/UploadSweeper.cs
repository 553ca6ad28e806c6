using MadBase.Edge.Database;
using MadBase.Protocol;
using MadBase.Protocol.Tus;
using Npgsql;

namespace MadBase.Edge.Tus;

/// <summary>
/// The expiration extension's janitor. After migrations it clears leases this instance held before a restart (their
/// requests died with the old process), then every <c>MADBASE_UPLOAD_SWEEP_INTERVAL</c>: unfinished uploads past
/// <c>Upload-Expires</c> lose their scratch file and S3 multipart parts and become tombstones (so clients get 410,
/// not 404), completed ones drop their state, and tombstones older than one more expiry period are deleted.
/// </summary>
internal sealed class UploadSweeper(
    MigrationService migrations,
    UploadRepository uploads,
    UploadLocks locks,
    UploadCompletion completion,
    UploadMetrics metrics,
    EdgeOptions options,
    ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger("MadBase.Edge.Tus.UploadSweeper");

    private const int BatchSize = 100;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown; an interrupted sweep is simply repeated after the next start.
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        await migrations.Applied.WaitAsync(stoppingToken);
        var released = await uploads.ReleaseStaleLeasesAsync(locks.Instance, locks.Holder, stoppingToken);
        if (released > 0)
        {
            Log.UploadLeasesReleased(_logger, released);
        }

        using var timer = new PeriodicTimer(options.UploadSweepInterval);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException)
            {
                Log.UploadSweepFailed(_logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        var swept = 0;
        List<UploadRecord> batch;
        do
        {
            batch = await uploads.ListExpiredAsync(BatchSize, cancellationToken);
            foreach (var record in batch)
            {
                UploadLocks.Lease lease;
                try
                {
                    lease = await locks.AcquireAsync(record.Id, TimeSpan.Zero, cancellationToken);
                }
                catch (ProtocolException ex) when (ex.Reason is TusError.UploadLocked)
                {
                    continue; // a request is using it right now; the next sweep gets it
                }

                await using (lease)
                {
                    if (!record.IsCompleted)
                    {
                        // Listed before the lease was taken; AbortMultipartAsync settles a part batch still running and
                        // aborts the multipart upload it may have created since.
                        await completion.AbortMultipartAsync(record);
                        if (!record.IsFinal)
                        {
                            completion.TryDeleteScratch(record.Id, record.Version);
                        }

                        metrics.Expired.Increment();
                    }

                    await uploads.MarkExpiredAsync(record.Id, cancellationToken);
                    swept++;
                }
            }
        }
        while (batch.Count == BatchSize);

        swept += await uploads.PurgeTombstonesAsync(options.UploadExpiry, cancellationToken);
        if (swept > 0)
        {
            Log.UploadsSwept(_logger, swept);
        }
    }
}
