using MadBase.Edge.Objects.S3;

namespace MadBase.Edge.Tus;

/// <summary>
/// Moves an upload whose bytes are not all held back to what is (<see cref="ScratchGuard"/> finds out; this acts):
/// on S3, the end of the contiguous S3 parts recorded with their CRCs; otherwise 0. A new scratch file with a new
/// identity starts there, the offset and its CRC are stored, and that offset is what HEAD reports and what the
/// next PATCH must send — tus-js-client resends from it. Bytes are never accepted on top of a hole, and an object
/// is never built from bytes that are not the ones received. Every caller holds the upload's lock.
/// </summary>
internal sealed class UploadRollback(
    ScratchFiles scratch,
    UploadRepository uploads,
    UploadPartRepository parts,
    UploadCompletion completion,
    ProgressiveParts progressive,
    UploadTails tails,
    UploadMetrics metrics,
    EdgeOptions options,
    ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("MadBase.Edge.Tus.UploadRollback");

    /// <summary>Before HEAD answers and before a PATCH writes: the record as it may be reported (rolled back when its scratch cannot back it).</summary>
    public async Task<UploadRecord> EnsureBackedAsync(UploadRecord record, CancellationToken cancellationToken)
    {
        if (!ScratchGuard.HasScratch(record) || ScratchGuard.Problem(record, scratch.Inspect(record.Version)) is not { } problem)
        {
            return record;
        }

        // Where to go back to is what S3 holds: a part batch still on its way lands first (and names its multipart upload).
        record = await progressive.SettleAsync(record, cancellationToken);
        return await TryRestoreAsync(record, cancellationToken) ?? await RollBackAsync(record, problem, keepS3Parts: true, cancellationToken);
    }

    /// <summary>
    /// Cluster mode on S3 (<see cref="UploadTails"/>): a new scratch file rebuilt from what S3 holds — the recorded whole
    /// parts (read from S3 when needed, never copied here) and the incomplete part of the recorded offset — when their
    /// CRC-32s add up to the one received; the offset stays. Null when S3 cannot back the whole offset.
    /// </summary>
    private async Task<UploadRecord?> TryRestoreAsync(UploadRecord record, CancellationToken cancellationToken)
    {
        if (!tails.AppliesTo(record) || record.ReceivedCrc is not { } expected)
        {
            return null;
        }

        var (keptParts, end, crc) = await HeldInS3Async(record, cancellationToken);
        var tailLength = record.Offset - end;
        (byte[] Bytes, uint Crc)? read;
        try
        {
            read = tailLength < 0 || tailLength >= options.S3PartSize ? null : await tails.ReadAsync(record, record.Offset, tailLength, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or S3Exception or HttpRequestException)
        {
            Log.UploadTailDeferred(_logger, record.Id, ex.Message); // S3 unreadable now: roll back rather than fail the request
            return null;
        }

        if (read is not (byte[] tail, uint tailCrc) || ReceivedCrc.Combine(crc, tailCrc, tailLength) != expected)
        {
            return null;
        }

        completion.TryDeleteScratch(record.Id, record.Version);
        var identity = scratch.Create(record.Version, end);
        using (var handle = scratch.OpenWrite(record.Version))
        {
            RandomAccess.Write(handle, tail, end);
            RandomAccess.FlushToDisk(handle);
        }

        await uploads.RebaseScratchAsync(record.Id, identity, end, keptParts, cancellationToken);
        Log.UploadScratchRestored(_logger, record.Id, end, record.Offset);
        return record with { ScratchIdentity = identity, ScratchBase = end, MultipartId = keptParts > 0 ? record.MultipartId : null };
    }

    /// <summary>
    /// After completion found the held bytes differ from those received (<see cref="UploadBytesLostException"/>):
    /// nothing held can be trusted, so the upload starts again at 0 (its multipart upload aborted).
    /// </summary>
    public async Task<UploadRecord> RestartAsync(UploadRecord record, string reason, CancellationToken cancellationToken) =>
        await RollBackAsync(await progressive.SettleAsync(record, cancellationToken), reason, keepS3Parts: false, cancellationToken);

    private async Task<UploadRecord> RollBackAsync(UploadRecord record, string reason, bool keepS3Parts, CancellationToken cancellationToken)
    {
        var (keptParts, end, crc) = keepS3Parts ? await HeldInS3Async(record, cancellationToken) : (0, 0L, ReceivedCrc.Empty);
        if (keptParts == 0)
        {
            await completion.AbortMultipartAsync(record);
        }

        completion.TryDeleteScratch(record.Id, record.Version); // a new inode as well as a new nonce
        var identity = scratch.Create(record.Version, end);
        await uploads.RollBackAsync(record.Id, end, crc, identity, keptParts, cancellationToken);
        metrics.RolledBack.Increment();
        Log.UploadRolledBack(_logger, record.Id, reason, record.Offset, end);
        return record with
        {
            Offset = end,
            ReceivedCrc = crc,
            ScratchIdentity = identity,
            ScratchBase = end,
            MultipartId = keptParts > 0 ? record.MultipartId : null,
        };
    }

    /// <summary>The S3 parts 1..n recorded in order, each whole and with its CRC, that lie below the offset: what S3 still backs.</summary>
    private async Task<(int Parts, long End, uint Crc)> HeldInS3Async(UploadRecord record, CancellationToken cancellationToken)
    {
        if (!progressive.AppliesTo(record) || record.MultipartId is not { } multipartId || record.ReceivedCrc is null)
        {
            return (0, 0, ReceivedCrc.Empty);
        }

        var partSize = options.S3PartSize;
        var (count, end, crc) = (0, 0L, ReceivedCrc.Empty);
        foreach (var (part, partCrc) in await parts.ListAsync(record.Id, multipartId, cancellationToken))
        {
            if (part.PartNumber != count + 1 || part.Size != partSize || partCrc is null || end + partSize > record.Offset)
            {
                break;
            }

            crc = ReceivedCrc.Combine(crc, partCrc.Value, partSize);
            end += partSize;
            count++;
        }

        return (count, end, crc);
    }
}
