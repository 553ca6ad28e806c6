using System.Collections.Concurrent;

namespace MadBase.Edge.Tus;

/// <summary>
/// The S3 part batches <see cref="ProgressiveParts"/> runs in the background, so that a PATCH is answered while its
/// whole parts go to S3 and the client's next chunk arrives meanwhile: network and S3 overlap instead of adding up.
/// A batch is held here by upload id from <see cref="Start"/> until it has finished; one instance per process (a
/// singleton), so every request of this process sees every batch.
/// <list type="bullet">
/// <item>Depth: at most one batch per upload. A batch is only started under the upload's lock, by a caller that has
/// settled the previous one (<see cref="ProgressiveParts.SettleAsync"/>), so <see cref="Start"/> never finds one
/// running (it refuses if it does). Nothing queues: when S3 is slower than the client, the next PATCH waits for the
/// running batch before it answers; a batch holds one open scratch handle and at most
/// <c>MADBASE_S3_PARTS_IN_FLIGHT</c> parts on the wire.</item>
/// <item>Failures: a batch catches what it expects itself (<c>Log.UploadPartsDeferred</c>; completion sends whatever
/// is missing); anything else is logged here. The task a caller waits for never faults, so no exception goes
/// unobserved and settling never throws.</item>
/// <item>Shutdown: stopping waits for the running batches as long as <c>MADBASE_SHUTDOWN_TIMEOUT</c> allows (the
/// host stops this after Kestrel has drained the requests that start them). A batch cut short loses nothing: the
/// offset it serves was stored before it began (the scratch file's, fsynced), and completion sends its parts again.</item>
/// </list>
/// Only this process sees its batches; why that is enough across processes is said in <see cref="ProgressiveParts"/>.
/// </summary>
internal sealed class PartBatches(ILoggerFactory loggers) : IHostedService
{
    private readonly ILogger _logger = loggers.CreateLogger("MadBase.Edge.Tus.PartBatches");

    /// <summary>Upload id → the running batch's end (a task that never faults). Removed by the batch itself when it ends.</summary>
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);

    /// <summary>Batches running now (tests and shutdown).</summary>
    public int Count => _running.Count;

    /// <summary>
    /// Runs <paramref name="batch"/> on the thread pool and returns at once. The caller holds the upload's lock and has
    /// settled the upload's previous batch (see the summary).
    /// </summary>
    public void Start(string uploadId, Func<Task> batch)
    {
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_running.TryAdd(uploadId, finished.Task)) // registered before it runs, so it cannot end before it is seen
        {
            throw new InvalidOperationException($"upload {uploadId} already has an S3 part batch running; it must be settled before the next one starts");
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await batch();
            }
            catch (Exception ex)
            {
                // The last net: nobody awaits this task, so nothing may escape it.
                Log.UploadPartBatchFailed(_logger, ex, uploadId);
            }
            finally
            {
                _running.TryRemove(uploadId, out _); // before the waiters wake, so the next Start finds the slot free
                finished.SetResult();
            }
        });
    }

    /// <summary>Completes when the upload's running batch (if any) has ended; never throws.</summary>
    public Task SettleAsync(string uploadId) => _running.TryGetValue(uploadId, out var running) ? running : Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var running = _running.Values.ToArray();
        if (running.Length == 0)
        {
            return;
        }

        try
        {
            await Task.WhenAll(running).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Log.UploadPartBatchesCut(_logger, _running.Count);
        }
    }
}
