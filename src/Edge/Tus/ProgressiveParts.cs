using MadBase.Edge.Objects;
using MadBase.Edge.Objects.S3;
using Microsoft.Win32.SafeHandles;

namespace MadBase.Edge.Tus;

/// <summary>
/// S3 parts uploaded while an upload is still receiving bytes, so the final PATCH only sends the tail part. After
/// each PATCH, every whole part below the durable offset that is not stored yet goes to S3 through
/// <see cref="MultipartWriter"/> (at most <c>MADBASE_S3_PARTS_IN_FLIGHT</c> at a time, parts of
/// <c>MADBASE_S3_PART_SIZE</c> laid out by <see cref="PartLayout.Exact"/>), read from the fsynced scratch file; each accepted part is recorded
/// (number + ETag) in <c>madbase.tus_upload_parts</c>. Bytes below the durable offset never change, so a recorded
/// part stays valid across restarts; a part S3 took but the row missed (crash) is simply uploaded again. The
/// multipart id is stored before the first part, so termination and the sweeper can always abort it.
/// Only single uploads of known length, on a store that takes large bodies in parts (<see cref="LargeBodyWrite.InParts"/>)
/// and within S3's part limit, qualify; concatenated ones keep the at-completion path. A failed part stops the parts
/// of that call (the writer's policy) but never aborts the upload: the parts recorded so far stay for the retry.
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
    public bool AppliesTo(UploadRecord record) => LayoutOf(record) is not null;

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
        catch (Exception ex) when (ex is IOException or S3Exception or HttpRequestException or Npgsql.NpgsqlException or OperationCanceledException or UploadBytesLostException)
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
        catch (S3Exception ex) when (ex.IsNotFound)
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
        var layout = LayoutOf(record) ?? throw new InvalidOperationException($"upload {record.Id} does not take progressive parts");
        var target = layout.WholePartsBelow(end);
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
                if (part.PartNumber <= target && part.Size == layout.LengthOf(part.PartNumber))
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
        if (missing.Count > 0 && layout.StartOf(missing[0]) < record.ScratchBase)
        {
            throw new UploadBytesLostException(record, $"part {missing[0]} lies below {record.ScratchBase}, where its scratch file starts, and is not in S3");
        }

        if (missing.Count > 0)
        {
            using var handle = scratch.OpenRead(record.Version);
            IReadOnlyList<(SafeFileHandle Handle, long Length)> segments = [(handle, end)];
            var crcs = new uint[target + 1]; // each part writes its own slot; read after every part has finished
            await using var writer = MultipartWriter.Resume(objects.Store, upload, options.S3PartsInFlight, cancellationToken);
            foreach (var partNumber in missing)
            {
                await writer.WaitForSlotAsync(); // bounded: at most S3PartsInFlight parts on the wire
                writer.Send(partNumber, token => SendAsync(writer, record.Id, partNumber, segments, layout, crcs, token));
            }

            foreach (var part in await writer.WhenSentAsync())
            {
                done[part.PartNumber] = new RecordedPart(part, crcs[part.PartNumber]);
            }
        }

        return (upload, [.. done.Values.OrderBy(p => p.Part.PartNumber)]);
    }

    /// <summary>Sends one part read from scratch, then records it (number, ETag, size and the CRC-32 of what was sent).</summary>
    private async Task<MultipartPart> SendAsync(
        MultipartWriter writer, string uploadId, int partNumber, IReadOnlyList<(SafeFileHandle Handle, long Length)> segments,
        PartLayout layout, uint[] crcs, CancellationToken cancellationToken)
    {
        var (start, size) = (layout.StartOf(partNumber), layout.LengthOf(partNumber));
        var crc = ScratchGuard.CrcOf(segments, start, size); // one more read from the page cache: what this part holds
        crcs[partNumber] = crc;
        await using var source = new ScratchReadStream(segments, start, size);
        var part = await writer.SendPartAsync(partNumber, source, size, cancellationToken);
        await parts.SaveAsync(uploadId, writer.Upload.UploadId, part, crc, CancellationToken.None);
        metrics.S3Parts.Increment();
        return part;
    }

    /// <summary>
    /// The parts an upload is cut into when it takes progressive parts; null when it does not (see the summary). The
    /// configured part size exactly: parts are recorded as they arrive, before the whole body is there.
    /// </summary>
    private PartLayout? LayoutOf(UploadRecord record) =>
        objects.Store.LargeBodies == LargeBodyWrite.InParts && record.Concat is null && record.BucketId is not null
        && record.Length is { } length && length > options.S3PartSize
            ? PartLayout.Exact(length, options.S3PartSize)
            : null;
}
