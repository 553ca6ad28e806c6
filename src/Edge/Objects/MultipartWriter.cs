using System.Runtime.ExceptionServices;

namespace MadBase.Edge.Objects;

/// <summary>
/// The one multipart engine: sends the parts of one multipart upload on an <see cref="IObjectStore"/>, at most
/// <c>partsInFlight</c> at a time, then completes it. Used by REST uploads (<see cref="S3ObjectStore.PutAsync"/>),
/// progressive TUS parts and TUS completion; part sizes come from <see cref="PartLayout"/>.
/// <para>
/// The failure policy, the same for every caller: a part that fails stops the upload. No further part starts, the
/// parts on the wire are cancelled, and once every part has stopped the caller gets that part's own error (never
/// the cancellation it caused; the caller's own cancellation stays a cancellation). An upload this writer started
/// and owns alone (<see cref="WriteAsync"/>) is then aborted, so the store keeps no orphan parts; a resumable one
/// (<see cref="Resume"/>, TUS progressive parts) keeps the parts already stored and recorded, and is aborted by
/// whoever ends it (completion, termination, the sweeper).
/// </para>
/// </summary>
internal sealed class MultipartWriter : IAsyncDisposable
{
    private readonly IObjectStore _store;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _stop;
    private readonly CancellationToken _caller;
    private readonly List<Task<MultipartPart>> _parts = [];

    private MultipartWriter(IObjectStore store, MultipartUpload upload, int partsInFlight, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partsInFlight);
        _store = store;
        Upload = upload;
        _slots = new SemaphoreSlim(partsInFlight, partsInFlight);
        _caller = cancellationToken;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    public MultipartUpload Upload { get; }

    /// <summary>Cancelled once a part fails (or the caller cancels): for the caller's own reads while it prepares a part.</summary>
    public CancellationToken Stopping => _stop.Token;

    /// <summary>
    /// A one-shot multipart upload: creates it, lets <paramref name="sendParts"/> put every part on the wire through
    /// the writer, waits for them, and completes it in part-number order. On any failure the upload is aborted (an
    /// abort that fails is logged: the original error is what the caller needs) and the cause is rethrown.
    /// </summary>
    public static async Task<StoredBytes> WriteAsync(
        IObjectStore store, string key, string contentType, int partsInFlight, ILogger logger,
        Func<MultipartWriter, Task> sendParts, CancellationToken cancellationToken)
    {
        var upload = await store.CreateMultipartAsync(key, contentType, cancellationToken);
        await using var writer = new MultipartWriter(store, upload, partsInFlight, cancellationToken);
        try
        {
            await sendParts(writer);
            var parts = await writer.WhenSentAsync();
            return await store.CompleteMultipartAsync(upload, parts, cancellationToken);
        }
        catch (Exception ex)
        {
            var cause = await writer.StopAsync(ex);
            try
            {
                await store.AbortMultipartAsync(upload, CancellationToken.None);
            }
            catch (Exception abortError) when (abortError is not OperationCanceledException)
            {
                Log.S3AbortFailed(logger, key, abortError.Message);
            }

            ExceptionDispatchInfo.Throw(cause);
            throw; // unreachable
        }
    }

    /// <summary>
    /// A writer for an upload that already exists and outlives this call (progressive TUS parts): the caller decides
    /// when to complete or abort it; a failure only stops the parts of this call.
    /// </summary>
    public static MultipartWriter Resume(IObjectStore store, MultipartUpload upload, int partsInFlight, CancellationToken cancellationToken) =>
        new(store, upload, partsInFlight, cancellationToken);

    /// <summary>
    /// Waits until fewer than <c>partsInFlight</c> parts are on the wire (back-pressure: call it before preparing the
    /// next part's bytes, so at most that many parts are held at once). Once a part has failed it throws that part's
    /// error, after every part has stopped.
    /// </summary>
    public async Task WaitForSlotAsync()
    {
        try
        {
            await _slots.WaitAsync(_stop.Token);
        }
        catch (OperationCanceledException stopped) when (!_caller.IsCancellationRequested)
        {
            ExceptionDispatchInfo.Throw(await StopAsync(stopped));
        }
    }

    /// <summary>
    /// Puts part <paramref name="partNumber"/> on the wire: the <paramref name="length"/> bytes of <paramref name="body"/>,
    /// which the writer disposes once sent. Call after <see cref="WaitForSlotAsync"/>.
    /// </summary>
    public void Send(int partNumber, Stream body, long length) => Send(partNumber, async token =>
    {
        await using (body)
        {
            return await _store.UploadPartAsync(Upload, partNumber, body, length, token);
        }
    });

    /// <summary>
    /// Puts part <paramref name="partNumber"/> on the wire with the caller's own step (<paramref name="send"/> calls
    /// <see cref="SendPartAsync"/> and may record the part afterwards). Call after <see cref="WaitForSlotAsync"/>;
    /// <paramref name="send"/> gets the token cancelled when any part fails.
    /// </summary>
    public void Send(int partNumber, Func<CancellationToken, Task<MultipartPart>> send)
    {
        if (partNumber is < 1 or > PartLayout.MaxParts)
        {
            _slots.Release();
            throw new ArgumentOutOfRangeException(nameof(partNumber), partNumber, $"parts are numbered 1 to {PartLayout.MaxParts}");
        }

        _parts.Add(RunAsync(send));
    }

    /// <summary>Uploads one part's bytes to this writer's upload (for <see cref="Send(int, Func{CancellationToken, Task{MultipartPart}})"/> steps).</summary>
    public Task<MultipartPart> SendPartAsync(int partNumber, Stream body, long length, CancellationToken cancellationToken) =>
        _store.UploadPartAsync(Upload, partNumber, body, length, cancellationToken);

    /// <summary>Every part sent so far, in the order they were started; or, after every part stopped, the first failure's cause.</summary>
    public async Task<MultipartPart[]> WhenSentAsync()
    {
        try
        {
            return await Task.WhenAll(_parts);
        }
        catch (Exception ex)
        {
            ExceptionDispatchInfo.Throw(await StopAsync(ex));
            throw; // unreachable
        }
    }

    /// <summary>
    /// Stops the upload after <paramref name="failure"/> (thrown by a part or by the caller while preparing one):
    /// cancels the parts on the wire, waits until all have stopped, and returns the error to report — the failed
    /// part's own error when <paramref name="failure"/> is only the cancellation that failure caused.
    /// </summary>
    public async Task<Exception> StopAsync(Exception failure)
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_parts);
        }
        catch (Exception)
        {
            // Inspected below; every part has stopped now.
        }

        if (failure is not OperationCanceledException || _caller.IsCancellationRequested)
        {
            return failure;
        }

        // Not the caller's cancellation: a part's failure caused it (report that), or a timeout inside the store.
        return _parts.Select(t => t.Exception?.InnerException).FirstOrDefault(e => e is not null and not OperationCanceledException)
            ?? new IOException("a multipart part upload was cancelled", failure);
    }

    /// <summary>Parts still on the wire (the caller stopped early) are cancelled and waited for: none outlives the writer.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_parts.Any(t => !t.IsCompleted))
        {
            await StopAsync(new OperationCanceledException());
        }

        _stop.Dispose();
        _slots.Dispose();
    }

    private async Task<MultipartPart> RunAsync(Func<CancellationToken, Task<MultipartPart>> send)
    {
        try
        {
            return await send(_stop.Token);
        }
        catch
        {
            await _stop.CancelAsync(); // stop scheduling further parts and cancel the ones on the wire
            throw;
        }
        finally
        {
            _slots.Release();
        }
    }
}
