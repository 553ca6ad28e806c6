using Amazon.S3;
using MadBase.Edge.Configuration;
using MadBase.Edge.Logging;
using MadBase.Edge.Objects;
using Microsoft.Win32.SafeHandles;

namespace MadBase.Edge.Tus;

/// <summary>
/// S3 parts uploaded while an upload is still receiving bytes, so the final PATCH only sends the tail part. After
/// each PATCH, every whole part below the durable offset that is not stored yet goes to S3 (at most
/// <c>MADBASE_S3_PARTS_IN_FLIGHT</c> at a time), read from the fsynced scratch file; each accepted part is recorded
/// (number + ETag) in <c>madbase.tus_upload_parts</c>. Bytes below the durable offset never change, so a recorded
/// part stays valid across restarts; a part S3 took but the row missed (crash) is simply uploaded again. The
/// multipart id is stored before the first part, so termination and the sweeper can always abort it.
/// Only single uploads of known length on S3 qualify; concatenated ones keep the at-completion path.
/// Each part is recorded with the CRC-32 of the bytes sent; completion joins the parts only when those CRCs add up
/// to the CRC of what the upload received (<see cref="ReceivedCrc"/>), and never reads a part from below the
/// scratch file's start (<see cref="UploadRecord.ScratchBase"/>): either would store bytes nobody sent.
/// </summary>
internal sealed class ProgressiveParts(
    ObjectsRepository objects,
    UploadRepository uploads,
    UploadPartRepository parts,
    ScratchFiles scratch,
    UploadMetrics metrics,
    EdgeOptions options,
    ILogger<ProgressiveParts> logger)
{
    private const int MaxParts = 10_000; // S3's limit

    public bool AppliesTo(UploadRecord record) =>
        options.StorageBackend == StorageBackendKind.S3 && record.Concat is null && record.BucketId is not null
        && record.Length is { } length && length > options.S3PartSize && (length + options.S3PartSize - 1) / options.S3PartSize <= MaxParts;

    /// <summary>
    /// Called after a PATCH stored <paramref name="offset"/>, under the upload's lock. A failure only costs time (the
    /// parts are retried later, at the latest by completion), so it is logged, never turned into a failed PATCH.
    /// </summary>
    public async Task AdvanceAsync(UploadRecord record, long offset)
    {
        if (!AppliesTo(record) || offset / options.S3PartSize == 0)
        {
            return;
        }

        try
        {
            await UploadAsync(record, offset, CancellationToken.None);
        }
        catch (Exception ex) when (ex is IOException or Amazon.Runtime.AmazonClientException or Amazon.Runtime.AmazonServiceException or HttpRequestException or Npgsql.NpgsqlException or OperationCanceledException or UploadBytesLostException)
        {
            Log.UploadPartsDeferred(logger, record.Id, ex.Message);
        }
    }

    /// <summary>
    /// Completion: stores the missing parts (tail included) and joins them. An upload S3 no longer knows (aborted
    /// outside, or completed just before a crash) is started over once from the scratch file.
    /// </summary>
    public async Task<StoredBytes> CompleteAsync(UploadRecord record, CancellationToken cancellationToken)
    {
        var length = record.Length!.Value;
        try
        {
            var (upload, done) = await UploadAsync(record, length, cancellationToken);
            return await FinishAsync(record, upload, done, cancellationToken);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            if (record.ScratchBase > 0)
            {
                throw new UploadBytesLostException(record, $"S3 no longer has the parts that hold its first {record.ScratchBase} bytes");
            }

            await uploads.SetMultipartAsync(record.Id, null, CancellationToken.None);
            var (upload, done) = await UploadAsync(record with { MultipartId = null }, length, cancellationToken);
            return await FinishAsync(record, upload, done, cancellationToken);
        }
    }

    private async Task<StoredBytes> FinishAsync(UploadRecord record, MultipartUpload upload, List<RecordedPart> done, CancellationToken cancellationToken)
    {
        if (record.ReceivedCrc is { } expected && done.All(p => p.Crc is not null))
        {
            var crc = ReceivedCrc.Empty;
            foreach (var (part, partCrc) in done)
            {
                crc = ReceivedCrc.Combine(crc, partCrc!.Value, part.Size);
            }

            if (crc != expected)
            {
                throw new UploadBytesLostException(record, "its S3 parts differ from the bytes received");
            }
        }

        var stored = await objects.Store.CompleteMultipartAsync(upload, [.. done.Select(p => p.Part)], cancellationToken);
        await uploads.SetMultipartAsync(record.Id, null, CancellationToken.None);
        return stored;
    }

    /// <summary>
    /// Makes S3 hold every part that lies wholly below <paramref name="end"/> (all of them, the short tail too, when
    /// <paramref name="end"/> is the length) and returns them all in order.
    /// </summary>
    private async Task<(MultipartUpload Upload, List<RecordedPart> Parts)> UploadAsync(UploadRecord record, long end, CancellationToken cancellationToken)
    {
        var partSize = options.S3PartSize;
        var length = record.Length!.Value;
        var target = end >= length ? (int)((length + partSize - 1) / partSize) : (int)(end / partSize);
        var key = ObjectKeys.For(record.BucketId!, record.ObjectName!, record.Version.ToString());

        var done = new Dictionary<int, RecordedPart>();
        MultipartUpload upload;
        if (record.MultipartId is { } existing)
        {
            upload = new MultipartUpload(key, existing);
            foreach (var recorded in await parts.ListAsync(record.Id, existing, cancellationToken))
            {
                // A restart with another MADBASE_S3_PART_SIZE: parts of the old size cannot be mixed in; resend those.
                var part = recorded.Part;
                if (part.PartNumber <= target && part.Size == PartLength(part.PartNumber, partSize, length))
                {
                    done[part.PartNumber] = recorded;
                }
            }
        }
        else
        {
            upload = await objects.Store.CreateMultipartAsync(key, record.ContentType, cancellationToken);
            await uploads.SetMultipartAsync(record.Id, upload.UploadId, CancellationToken.None);
        }

        var missing = Enumerable.Range(1, target).Where(n => !done.ContainsKey(n)).ToList();
        if (missing.Count > 0 && (long)(missing[0] - 1) * partSize < record.ScratchBase)
        {
            throw new UploadBytesLostException(record, $"part {missing[0]} lies below {record.ScratchBase}, where its scratch file starts, and is not in S3");
        }

        if (missing.Count > 0)
        {
            using var handle = scratch.OpenRead(record.Version);
            IReadOnlyList<(SafeFileHandle Handle, long Length)> segments = [(handle, end)];
            using var gate = new SemaphoreSlim(options.S3PartsInFlight, options.S3PartsInFlight);
            var tasks = missing.Select(n => SendAsync(record.Id, upload, n, segments, partSize, length, gate, cancellationToken)).ToList();
            foreach (var part in await Task.WhenAll(tasks))
            {
                done[part.Part.PartNumber] = part;
            }
        }

        return (upload, [.. done.Values.OrderBy(p => p.Part.PartNumber)]);
    }

    private async Task<RecordedPart> SendAsync(
        string uploadId, MultipartUpload upload, int partNumber, IReadOnlyList<(SafeFileHandle Handle, long Length)> segments,
        long partSize, long length, SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken); // bounded: at most S3PartsInFlight parts on the wire
        try
        {
            var size = PartLength(partNumber, partSize, length);
            var start = (partNumber - 1) * partSize;
            var crc = ScratchGuard.CrcOf(segments, start, size); // one more read from the page cache: what this part holds
            await using var source = new ScratchReadStream(segments, start, size);
            var part = await objects.Store.UploadPartAsync(upload, partNumber, source, size, cancellationToken);
            await parts.SaveAsync(uploadId, upload.UploadId, part, crc, CancellationToken.None);
            metrics.S3Parts.Increment();
            return new RecordedPart(part, crc);
        }
        finally
        {
            gate.Release();
        }
    }

    private static long PartLength(int partNumber, long partSize, long length) => Math.Min(partSize, length - ((partNumber - 1) * partSize));
}
