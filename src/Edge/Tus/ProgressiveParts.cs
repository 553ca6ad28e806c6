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
/// <para>
/// On one node the parts of a PATCH go in the background (<see cref="AdvanceInBackgroundAsync"/>, run by
/// <see cref="PartBatches"/>): the PATCH is answered as soon as its offset is durable, and S3 works while the client
/// sends the next chunk. So the upload's multipart state can be changing after its lock is released; hence the rule:
/// whoever reads or changes it (the next advance, completion, termination, rollback, the sweeper) calls
/// <see cref="SettleAsync"/> first, under the upload's lock, and goes on with the record it returns.
/// </para>
/// <para>
/// Only this process sees its batches. In cluster mode none is ever started: the PATCH awaits its parts and the
/// incomplete-part object (<see cref="UploadTails"/>) before it lets go of the lease, so a node taking the upload
/// over finds in S3 all this one left (TusHandler.WriteChunkAsync). Without cluster mode another process that is
/// sent the upload has no scratch file and rolls back to the recorded parts; a batch still running here can then
/// only add parts, each recorded with the CRC of its bytes, which completion checks, and never a second multipart
/// upload (<see cref="UploadRepository.ClaimMultipartAsync"/>).
/// </para>
/// </summary>
internal sealed class ProgressiveParts(
    ObjectsRepository objects,
    UploadRepository uploads,
    UploadPartRepository parts,
    ScratchFiles scratch,
    PartBatches batches,
    UploadMetrics metrics,
    EdgeOptions options,
    ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("MadBase.Edge.Tus.ProgressiveParts");

    public bool AppliesTo(UploadRecord record) => LayoutOf(record) is not null;

    /// <summary>
    /// Called after a PATCH stored <paramref name="offset"/>, under the upload's lock, when the parts must be in S3 before
    /// the lock goes (cluster mode: see the summary). A failure only costs time (the parts are retried later, at the
    /// latest by completion), so it is logged, never turned into a failed PATCH.
    /// </summary>
    public async Task AdvanceAsync(UploadRecord record, long offset)
    {
        if (!HasWholePartBelow(record, offset))
        {
            return;
        }

        try
        {
            record = await SettleAsync(record, CancellationToken.None);
            await UploadAsync(record, offset, null, CancellationToken.None);
        }
        catch (Exception ex) when (IsDeferrable(ex))
        {
            Log.UploadPartsDeferred(_logger, record.Id, ex.Message);
        }
    }

    /// <summary>
    /// Like <see cref="AdvanceAsync"/>, but the parts go in the background: returns once the upload's previous batch
    /// has ended (one per upload, so the wait is the back-pressure when S3 is slower than the client) and the next has
    /// started. The batch reads through a handle opened here, before the PATCH answers: the file the offset was
    /// counted in, even if the path is deleted or replaced meanwhile (which <see cref="UploadRollback"/> then finds
    /// and acts on, after settling this batch). Its failures are logged like <see cref="AdvanceAsync"/>'s.
    /// </summary>
    public async Task AdvanceInBackgroundAsync(UploadRecord record, long offset)
    {
        if (!HasWholePartBelow(record, offset))
        {
            return;
        }

        SafeFileHandle source;
        try
        {
            record = await SettleAsync(record, CancellationToken.None);
            source = scratch.OpenRead(record.Version);
        }
        catch (Exception ex) when (IsDeferrable(ex))
        {
            Log.UploadPartsDeferred(_logger, record.Id, ex.Message);
            return;
        }

        try
        {
            batches.Start(record.Id, () => SendInBackgroundAsync(record, offset, source));
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Waits for the upload's background batch, if one is running, and returns <paramref name="record"/> with the
    /// multipart id the upload has now. A record read while a batch ran may name none although the batch has created
    /// and stored one (a batch only ever goes from none to one), so such a record is checked against the row: the
    /// caller then goes on with that multipart upload and never starts a second. The caller holds the upload's lock,
    /// so no batch starts meanwhile.
    /// </summary>
    public async Task<UploadRecord> SettleAsync(UploadRecord record, CancellationToken cancellationToken)
    {
        await batches.SettleAsync(record.Id);
        if (record.MultipartId is not null || !AppliesTo(record))
        {
            return record;
        }

        return await uploads.GetAsync(record.Id, cancellationToken) is { MultipartId: { } stored } ? record with { MultipartId = stored } : record;
    }

    /// <summary>
    /// Completion: stores the missing parts (tail included) and joins them. An upload S3 no longer knows (aborted
    /// outside, or completed just before a crash) is started over once from the scratch file.
    /// </summary>
    public async Task<StoredBytes> CompleteAsync(UploadRecord record, CancellationToken cancellationToken)
    {
        record = await SettleAsync(record, cancellationToken);
        var length = record.Length!.Value;
        try
        {
            var (upload, done) = await UploadAsync(record, length, null, cancellationToken);
            return await FinishAsync(record, upload, done, cancellationToken);
        }
        catch (S3Exception ex) when (ex.IsNotFound)
        {
            if (record.ScratchBase > 0)
            {
                throw new UploadBytesLostException(record, $"S3 no longer has the parts that hold its first {record.ScratchBase} bytes");
            }

            await uploads.SetMultipartAsync(record.Id, null, CancellationToken.None);
            var (upload, done) = await UploadAsync(record with { MultipartId = null }, length, null, cancellationToken);
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

    private async Task SendInBackgroundAsync(UploadRecord record, long offset, SafeFileHandle source)
    {
        using (source)
        {
            try
            {
                await UploadAsync(record, offset, source, CancellationToken.None);
            }
            catch (Exception ex) when (IsDeferrable(ex))
            {
                Log.UploadPartsDeferred(_logger, record.Id, ex.Message);
            }
        }
    }

    /// <summary>
    /// Makes S3 hold every part that lies wholly below <paramref name="end"/> (all of them, the short tail too, when
    /// <paramref name="end"/> is the length) and returns them all in order. The parts are read from
    /// <paramref name="source"/> when given, else from the scratch file opened here. The caller has settled the
    /// upload (<see cref="SettleAsync"/>), so <paramref name="record"/> names its multipart upload if it has one.
    /// </summary>
    private async Task<(MultipartUpload Upload, List<RecordedPart> Parts)> UploadAsync(UploadRecord record, long end, SafeFileHandle? source, CancellationToken cancellationToken)
    {
        var layout = LayoutOf(record) ?? throw new InvalidOperationException($"upload {record.Id} does not take progressive parts");
        var target = layout.WholePartsBelow(end);
        var key = ObjectKeys.For(record.BucketId!, record.ObjectName!, record.Version.ToString());

        var upload = new MultipartUpload(key, record.MultipartId ?? await StartMultipartAsync(record, key, cancellationToken));
        var done = new Dictionary<int, RecordedPart>();
        foreach (var recorded in await parts.ListAsync(record.Id, upload.UploadId, cancellationToken))
        {
            // A restart with another MADBASE_S3_PART_SIZE: parts of the old size cannot be mixed in; resend those.
            var part = recorded.Part;
            if (part.PartNumber <= target && part.Size == layout.LengthOf(part.PartNumber))
            {
                done[part.PartNumber] = recorded;
            }
        }

        var missing = Enumerable.Range(1, target).Where(n => !done.ContainsKey(n)).ToList();
        if (missing.Count > 0 && layout.StartOf(missing[0]) < record.ScratchBase)
        {
            throw new UploadBytesLostException(record, $"part {missing[0]} lies below {record.ScratchBase}, where its scratch file starts, and is not in S3");
        }

        if (missing.Count > 0)
        {
            using var opened = source is null ? scratch.OpenRead(record.Version) : null;
            IReadOnlyList<(SafeFileHandle Handle, long Length)> segments = [(source ?? opened!, end)];
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

    /// <summary>
    /// Starts the upload's multipart upload and records its id before any part is sent. Should another process have
    /// recorded one first (see the summary), that one is used and ours aborted: an upload has one multipart upload.
    /// </summary>
    private async Task<string> StartMultipartAsync(UploadRecord record, string key, CancellationToken cancellationToken)
    {
        var started = await objects.Store.CreateMultipartAsync(key, record.ContentType, cancellationToken);
        var recorded = await uploads.ClaimMultipartAsync(record.Id, started.UploadId, CancellationToken.None);
        if (recorded == started.UploadId)
        {
            Log.UploadMultipartStarted(_logger, record.Id, started.UploadId);
            return recorded;
        }

        Log.UploadMultipartClaimLost(_logger, record.Id, started.UploadId);
        try
        {
            await objects.Store.AbortMultipartAsync(started, CancellationToken.None);
        }
        catch (Exception ex) when (ex is IOException or S3Exception or HttpRequestException)
        {
            Log.UploadCleanupFailed(_logger, record.Id, "multipart upload " + started.UploadId, ex.Message);
        }

        return recorded ?? throw new OperationCanceledException($"upload {record.Id} no longer exists");
    }

    /// <summary>Sends one part read from scratch, then records it (number, ETag, size and the CRC-32 of what was sent).</summary>
    private async Task<MultipartPart> SendAsync(
        MultipartWriter writer, string uploadId, int partNumber, IReadOnlyList<(SafeFileHandle Handle, long Length)> segments,
        PartLayout layout, uint[] crcs, CancellationToken cancellationToken)
    {
        var (start, size) = (layout.StartOf(partNumber), layout.LengthOf(partNumber));
        await using var source = new ScratchReadStream(segments, start, size);
        var sent = new CrcReadStream(source); // the CRC of the bytes of the attempt S3 accepted, in the same pass
        var part = await writer.SendPartAsync(partNumber, sent, size, cancellationToken);
        if (sent.BytesRead != size)
        {
            throw new IOException($"part {partNumber} was sent with {sent.BytesRead} of its {size} bytes read");
        }

        var crc = sent.Crc;
        crcs[partNumber] = crc;
        await parts.SaveAsync(uploadId, writer.Upload.UploadId, part, crc, CancellationToken.None);
        metrics.S3Parts.Increment();
        return part;
    }

    private bool HasWholePartBelow(UploadRecord record, long offset) => AppliesTo(record) && offset / options.S3PartSize > 0;

    /// <summary>Failures that only delay the parts: S3, the scratch file or the database unavailable, or bytes no longer held.</summary>
    private static bool IsDeferrable(Exception ex) =>
        ex is IOException or S3Exception or HttpRequestException or Npgsql.NpgsqlException or OperationCanceledException or UploadBytesLostException;

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
