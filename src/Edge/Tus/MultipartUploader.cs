using MadBase.Edge.Objects;
using Microsoft.Win32.SafeHandles;

namespace MadBase.Edge.Tus;

/// <summary>
/// Streams a completed upload from scratch to S3 as a multipart upload: fixed-size parts read straight from the
/// scratch file(s) by position (no part buffers — the SDK reads each part stream as it sends it), at most
/// <c>inFlight</c> parts at a time. The multipart id is recorded before the first part so a crash leaves nothing
/// the sweeper or the retry cannot abort; any failure aborts the upload here.
/// </summary>
internal static class MultipartUploader
{
    private const int MaxParts = 10_000; // S3's limit
    private const long PartRounding = 1024 * 1024;

    public static async Task<StoredBytes> UploadAsync(
        IObjectStore store,
        UploadRepository uploads,
        string uploadId,
        string key,
        string contentType,
        IReadOnlyList<(SafeFileHandle Handle, long Length)> segments,
        long length,
        long partSize,
        int inFlight,
        CancellationToken cancellationToken)
    {
        // Grow the part size (in whole MiB) when the configured one would need more than 10 000 parts.
        if ((length + partSize - 1) / partSize > MaxParts)
        {
            partSize = ((length + MaxParts - 1) / MaxParts + PartRounding - 1) / PartRounding * PartRounding;
        }

        var partCount = (int)((length + partSize - 1) / partSize);
        var upload = await store.CreateMultipartAsync(key, contentType, cancellationToken);
        await uploads.SetMultipartAsync(uploadId, upload.UploadId, cancellationToken);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var gate = new SemaphoreSlim(inFlight, inFlight);
        var tasks = new List<Task<MultipartPart>>(partCount);
        try
        {
            for (var i = 0; i < partCount; i++)
            {
                await gate.WaitAsync(failed.Token); // back-pressure: the next part starts when one finishes
                var start = i * partSize;
                var size = Math.Min(partSize, length - start);
                tasks.Add(UploadPartAsync(store, upload, i + 1, new ScratchReadStream(segments, start, size), size, gate, failed));
            }

            var parts = await Task.WhenAll(tasks);
            var stored = await store.CompleteMultipartAsync(upload, parts, cancellationToken);
            await uploads.SetMultipartAsync(uploadId, null, cancellationToken);
            return stored;
        }
        catch (Exception ex)
        {
            await failed.CancelAsync();
            try
            {
                await Task.WhenAll(tasks);
            }
            catch (Exception)
            {
                // Inspected below; every part has stopped now.
            }

            await store.AbortMultipartAsync(upload, CancellationToken.None);
            await uploads.SetMultipartAsync(uploadId, null, CancellationToken.None);

            // A cancellation caused by a failed part must not hide that part's error.
            var cause = ex is OperationCanceledException && !cancellationToken.IsCancellationRequested
                ? tasks.Select(t => t.Exception?.InnerException).FirstOrDefault(e => e is not null and not OperationCanceledException)
                : null;
            if (cause is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(cause);
            }

            throw;
        }
    }

    private static async Task<MultipartPart> UploadPartAsync(
        IObjectStore store, MultipartUpload upload, int partNumber, ScratchReadStream source, long size, SemaphoreSlim gate, CancellationTokenSource failed)
    {
        try
        {
            await using (source)
            {
                return await store.UploadPartAsync(upload, partNumber, source, size, failed.Token);
            }
        }
        catch
        {
            await failed.CancelAsync(); // stop scheduling further parts
            throw;
        }
        finally
        {
            gate.Release();
        }
    }
}
