using System.Diagnostics;
using MadBase.Edge.Objects;
using MadBase.Edge.Objects.S3;
using Microsoft.Win32.SafeHandles;

namespace MadBase.Edge.Tus;

/// <summary>
/// Turns a fully received upload into an object, exactly once, whatever crashes in between. Each step is safe to
/// repeat, and every caller holds the upload's lock:
/// <list type="number">
/// <item>If <c>storage.objects</c> already points at this upload's version, an earlier attempt committed the row:
/// only the bookkeeping is left.</item>
/// <item>The scratch bytes go to the version key <c>bucket/name/version</c> (S3 multipart or an atomic file write),
/// only after they are proven to be the bytes received (<see cref="ScratchGuard.VerifyAsync"/>; for S3 parts sent
/// earlier, their CRCs: <see cref="ProgressiveParts"/>) — otherwise <see cref="UploadBytesLostException"/>.
/// Writing the same key twice stores the same bytes. A single upload on S3 reuses the parts
/// <see cref="ProgressiveParts"/> stored during its PATCHes and sends only the rest; otherwise an older multipart
/// attempt is aborted first.</item>
/// <item><see cref="ObjectsRepository.FinishWriteAsync"/> writes the row as the uploader (409 for a non-upsert loser).</item>
/// <item>The upload is marked completed, then scratch is deleted (the sweeper removes leftovers).</item>
/// </list>
/// The final PATCH is answered only after step 4, so a client never sees success for bytes that are not durable.
/// </summary>
internal sealed class UploadCompletion(
    ObjectsRepository objects,
    UploadRepository uploads,
    ScratchFiles scratch,
    ProgressiveParts progressive,
    EdgeOptions options,
    ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("MadBase.Edge.Tus.UploadCompletion");

    public const string Operation = "storage.tus.upload.part";

    public async Task CompleteAsync(UploadRecord record, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        record = await progressive.SettleAsync(record, cancellationToken); // parts still on their way land first, and their multipart id is the one used
        var length = record.Length ?? throw new InvalidOperationException("completing an upload of unknown length");
        var write = new ObjectWrite(
            record.BucketId!, record.ObjectName!, record.Version.ToString(), record.OwnerId, record.ContentType, record.CacheControl,
            record.UserMetadata, record.Upsert, Operation);

        var existing = await objects.FindAsync(write.BucketId, write.Name, null, Operation, cancellationToken);
        if (existing?.Version != write.Version)
        {
            if (existing is not null && !write.Upsert)
            {
                await DiscardAsync(record, cancellationToken);
                throw StorageException.Duplicate();
            }

            var bytes = await StoreAsync(record, write, length, cancellationToken);
            try
            {
                await objects.FinishWriteAsync(write, bytes, UploadCaller.ActorOf(record), cancellationToken);
            }
            catch (StorageException ex) when (ex.Status is 403 or 409)
            {
                // The row can never be written for this upload (lost the race, or policies changed): give up on it.
                await DiscardAsync(record, cancellationToken);
                throw;
            }
        }

        await uploads.MarkCompletedAsync(record.Id, length, cancellationToken);
        foreach (var part in await SourcesAsync(record, cancellationToken))
        {
            TryDeleteScratch(record.Id, part.Version);
            if (part.Id != record.Id)
            {
                await uploads.DeleteAsync(part.Id, cancellationToken);
            }
        }

        Log.UploadCompleted(_logger, record.Id, write.BucketId, write.Name, length, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>
    /// Terminates an unfinished upload: aborts its multipart upload (once any part batch still reading the scratch file
    /// has ended: <see cref="AbortMultipartAsync"/>), deletes its scratch and its row.
    /// </summary>
    public async Task DiscardAsync(UploadRecord record, CancellationToken cancellationToken)
    {
        await AbortMultipartAsync(record);
        if (!record.IsFinal)
        {
            TryDeleteScratch(record.Id, record.Version);
        }

        await uploads.DeleteAsync(record.Id, cancellationToken);
    }

    /// <summary>
    /// Aborts the upload's multipart upload, if it has one; best effort. Settles first: a part batch still running
    /// (<see cref="ProgressiveParts.SettleAsync"/>) may have created the one to abort, and would otherwise go on adding
    /// parts to it. Termination, the sweeper and rollbacks all come here.
    /// </summary>
    public async Task AbortMultipartAsync(UploadRecord record)
    {
        record = await progressive.SettleAsync(record, CancellationToken.None);
        if (record.MultipartId is { } multipartId && record.BucketId is not null)
        {
            var key = ObjectKeys.For(record.BucketId, record.ObjectName!, record.Version.ToString());
            try
            {
                await objects.Store.AbortMultipartAsync(new MultipartUpload(key, multipartId), CancellationToken.None);
            }
            catch (Exception ex) when (ex is IOException or S3Exception or HttpRequestException or ArgumentException)
            {
                Log.UploadCleanupFailed(_logger, record.Id, "multipart upload " + multipartId, ex.Message);
            }
        }
    }

    public void TryDeleteScratch(string id, Guid version)
    {
        try
        {
            scratch.Delete(version);
        }
        catch (IOException ex)
        {
            Log.UploadCleanupFailed(_logger, id, "scratch file", ex.Message);
        }
    }

    /// <summary>The uploads whose scratch files hold the bytes, in order: itself, or a final upload's partials.</summary>
    private async Task<List<UploadRecord>> SourcesAsync(UploadRecord record, CancellationToken cancellationToken)
    {
        if (!record.IsFinal)
        {
            return [record];
        }

        var parts = new List<UploadRecord>(record.ConcatParts.Count);
        foreach (var id in record.ConcatParts)
        {
            if (await uploads.GetAsync(id, cancellationToken) is { } part)
            {
                parts.Add(part);
            }
        }

        return parts;
    }

    /// <summary>
    /// Step 2: the bytes under the version key, as the store takes them (<see cref="IObjectStore.LargeBodies"/>).
    /// Scratch is fsynced already (every PATCH did it).
    /// </summary>
    private async Task<StoredBytes> StoreAsync(UploadRecord record, ObjectWrite write, long length, CancellationToken cancellationToken)
    {
        var store = objects.Store;
        var wholeWrites = store.LargeBodies == LargeBodyWrite.Whole;
        if (wholeWrites && !record.IsFinal)
        {
            await ScratchGuard.VerifyAsync(scratch, record, cancellationToken); // one read; no MD5 of every byte (see ETagOf)
            if (store.TryAdopt(write.StoreKey, scratch.PathFor(record.Version), length, ETagOf(record.Version)) is { } adopted)
            {
                return adopted; // one link, no copy
            }
        }

        if (progressive.AppliesTo(record))
        {
            return await progressive.CompleteAsync(record, cancellationToken); // most parts are in S3 already
        }

        var parts = await SourcesAsync(record, cancellationToken);
        if (parts.Sum(p => p.Length ?? 0) != length)
        {
            throw new InvalidOperationException($"upload {record.Id}: its scratch parts no longer add up to {length} bytes");
        }

        if (!wholeWrites || record.IsFinal) // else checked above, before the link was tried
        {
            foreach (var part in parts)
            {
                await ScratchGuard.VerifyAsync(scratch, part, cancellationToken);
            }
        }

        var segments = new List<(SafeFileHandle Handle, long Length)>(parts.Count);
        try
        {
            foreach (var part in parts)
            {
                segments.Add((scratch.OpenRead(part.Version), part.Length!.Value));
            }

            if (wholeWrites || length <= options.S3PartSize)
            {
                // Concatenated uploads on the file backend: one fsynced temp file renamed into place. Small S3 objects: one PutObject.
                await using var source = new ScratchReadStream(segments, 0, length);
                return await store.PutAsync(write.StoreKey, source, write.ContentType, cancellationToken);
            }

            await AbortMultipartAsync(record); // an attempt that died half way: its parts are useless now
            return await SendInPartsAsync(record, write, segments, length, cancellationToken);
        }
        finally
        {
            foreach (var (handle, _) in segments)
            {
                handle.Dispose();
            }
        }
    }

    /// <summary>
    /// The scratch bytes as one multipart upload (<see cref="MultipartWriter"/>): parts of <c>MADBASE_S3_PART_SIZE</c>,
    /// grown when the object would need more than S3's 10,000 (<see cref="PartLayout.Fitted"/>), read by position
    /// straight from the scratch file(s) — no part buffers: the store reads each part stream as it sends it. The
    /// multipart id is recorded before the first part, so a crash leaves nothing the sweeper or the retry cannot
    /// abort; after a failure the writer has aborted it and the id stays recorded until the retry aborts it again
    /// (a no-op), so an abort that failed is never forgotten.
    /// </summary>
    private async Task<StoredBytes> SendInPartsAsync(
        UploadRecord record, ObjectWrite write, IReadOnlyList<(SafeFileHandle Handle, long Length)> segments, long length, CancellationToken cancellationToken)
    {
        var layout = PartLayout.Fitted(length, options.S3PartSize);
        var stored = await MultipartWriter.WriteAsync(objects.Store, write.StoreKey, write.ContentType, options.S3PartsInFlight, _logger, async writer =>
        {
            await uploads.SetMultipartAsync(record.Id, writer.Upload.UploadId, cancellationToken);
            for (var partNumber = 1; partNumber <= layout.Count; partNumber++)
            {
                await writer.WaitForSlotAsync(); // back-pressure: the next part starts when one finishes
                var size = layout.LengthOf(partNumber);
                writer.Send(partNumber, new ScratchReadStream(segments, layout.StartOf(partNumber), size), size);
            }
        }, cancellationToken);
        await uploads.SetMultipartAsync(record.Id, null, cancellationToken);
        return stored;
    }

    /// <summary>
    /// The ETag of a resumable upload adopted on the file backend: its version id with S3's multipart suffix
    /// (<c>"&lt;32 hex&gt;-1"</c>), instead of an MD5 of every byte on the hot path. A strong validator: every write
    /// stores a new version under a new key and a key's bytes never change. The suffix tells S3-aware clients what they
    /// already know from Supabase, where a resumable upload's ETag is an S3 multipart ETag: not an MD5 of the content.
    /// </summary>
    internal static string ETagOf(Guid version) => "\"" + version.ToString("N") + "-1\"";
}
