using System.IO.Hashing;
using MadBase.Edge.Objects;
using MadBase.Protocol;
using MadBase.Protocol.Tus;

namespace MadBase.Edge.Tus;

internal sealed partial class TusHandler
{
    private readonly record struct ChunkResult(long Offset, bool Completed);

    /// <summary>PATCH: append one chunk at <c>Upload-Offset</c> (409 on mismatch), then complete when the last byte is in.</summary>
    private async Task PatchAsync(HttpContext context, bool signedRoute, string id)
    {
        var (record, _) = await LoadAsync(context, signedRoute, id);
        if (record.IsFinal)
        {
            ProtocolException.Throw(TusError.ConcatenatedUploadModification, "A final concatenated upload cannot be patched");
        }

        var offset = TusNumericHeaders.ParseUploadOffset(context.Request.Headers[TusHeaderNames.UploadOffset].ToString());
        var result = await WriteChunkAsync(context, record, offset);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        TusResponses.SetOffset(context, result.Offset);
        if (result.Completed)
        {
            context.Response.Headers["Tus-Complete"] = "1";
        }
        else
        {
            TusResponses.SetExpires(context, record.ExpiresAt);
        }
    }

    /// <summary>
    /// Writes the request body at <paramref name="offset"/> under the upload's lock. First the scratch file must still
    /// back the stored offset (<see cref="UploadRollback.EnsureBackedAsync"/>; if not, the offset moves back and this
    /// PATCH gets 409, so the client resends from there). Durability order: bytes are written, the scratch file is
    /// fsynced, and only then is the new offset stored with the CRC of the bytes below it — so HEAD never reports bytes a
    /// crash could lose. A chunk with <c>Upload-Checksum</c> only counts when its digest matches (else 460, offset
    /// unchanged); a chunk without one keeps whatever arrived before the connection broke. S3 parts come after that
    /// and never decide the offset (<see cref="ProgressiveParts"/>; on one node they may still be on their way when
    /// the PATCH answers, and whoever touches the upload's multipart state next settles them first).
    /// </summary>
    private async Task<ChunkResult> WriteChunkAsync(HttpContext context, UploadRecord stale, long offset, bool requireBodyType = true)
    {
        // A zero-byte upload's POST carries no body and so no Content-Type; every other chunk must say what it is.
        var request = context.Request;
        if (requireBodyType && !string.Equals(request.ContentType, TusHeaderNames.OffsetOctetStream, StringComparison.OrdinalIgnoreCase))
        {
            ProtocolException.Throw(TusError.UnsupportedContentType, "Content-Type must be application/offset+octet-stream");
        }

        using var checksum = request.Headers[TusHeaderNames.UploadChecksum] is [{ Length: > 0 } checksumHeader]
            ? new ChunkChecksum(TusChecksum.Parse(checksumHeader))
            : null;

        await using var lease = await locks.AcquireAsync(stale.Id, TimeSpan.Zero, context.RequestAborted);
        var record = await uploads.GetAsync(stale.Id, context.RequestAborted) ?? throw TusStateErrors.NotFound();
        record = await rollback.EnsureBackedAsync(record, CancellationToken.None);
        if (record.IsCompleted)
        {
            return offset == record.Length ? new ChunkResult(offset, true) : throw TusStateErrors.Conflict("Upload-Offset conflict: the upload is already complete");
        }

        if (offset != record.Offset)
        {
            throw TusStateErrors.Conflict($"Upload-Offset conflict: the upload is at {record.Offset}, not {offset}");
        }

        var length = record.Length;
        if (request.Headers[TusHeaderNames.UploadLength] is [{ Length: > 0 } lengthHeader])
        {
            var declared = TusNumericHeaders.ParseUploadLength(lengthHeader);
            if (length is not null && declared != length)
            {
                ProtocolException.Throw(TusError.UploadLengthAlreadySet, "Upload-Length is already set and cannot change");
            }

            if (declared < record.Offset)
            {
                throw TusStateErrors.BadRequest("Upload-Length is smaller than the bytes already received");
            }

            length = declared;
        }

        var limit = await LimitForAsync(record, context.RequestAborted);
        if (length > limit)
        {
            throw TusStateErrors.TooLarge(limit);
        }

        var room = (length ?? limit) - offset;
        if (request.ContentLength > room)
        {
            throw TusStateErrors.TooLarge(length ?? limit);
        }

        BodyWriteResult body;
        var received = new Crc32();
        using (var file = scratch.OpenWrite(record.Version))
        {
            // A release request from another node (cluster mode) ends the body like a closed connection: what is in is kept.
            using var reading = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lease.ReleaseRequested);
            body = await ScratchWriter.WriteAsync(request.BodyReader, file, offset, room, checksum, received, reading.Token);
            if (body.Written > 0)
            {
                ScratchSync.Flush(file); // before the offset is stored: see the summary
            }
        }

        metrics.BytesReceived.Add(body.Written);
        var chunkRejected = checksum is not null && (body.Interrupted || !checksum.Matches()); // Matches() consumes the hash: once
        if (body.Exceeded)
        {
            throw TusStateErrors.TooLarge(length ?? limit);
        }

        if (chunkRejected)
        {
            if (body.Interrupted)
            {
                Log.UploadPatchInterrupted(_logger, record.Id, body.Written, "checksummed chunk incomplete, discarded", offset);
                return new ChunkResult(offset, false);
            }

            metrics.ChecksumMismatches.Increment();
            ProtocolException.Throw(TusError.ChecksumMismatch, "Checksum Mismatch: the chunk was discarded");
        }

        var newOffset = offset + body.Written;
        var receivedCrc = record.ReceivedCrc is { } below ? ReceivedCrc.Combine(below, received.GetCurrentHashAsUInt32(), body.Written) : (uint?)null;

        // Not the request's token: bytes that reached disk must be recorded even when the client has just gone away.
        await uploads.SaveProgressAsync(record.Id, newOffset, length, receivedCrc, CancellationToken.None);
        record = record with { Offset = newOffset, Length = length, ReceivedCrc = receivedCrc };
        if (body.Interrupted)
        {
            Log.UploadPatchInterrupted(_logger, record.Id, body.Written, "connection closed", newOffset);
            if (tails.AppliesTo(record))
            {
                // Cluster mode: the client (or whoever asked for the release) resumes on any node, which needs these in S3.
                await progressive.AdvanceAsync(record, newOffset);
                await tails.SaveAsync(record, offset, newOffset);
            }

            return new ChunkResult(newOffset, false);
        }

        if (newOffset != length || record.IsPartial)
        {
            // Whole parts go to S3 now, so the final PATCH only waits for the tail; the offset above is already durable
            // and is what this PATCH reports, whatever S3 does.
            if (tails.AppliesTo(record))
            {
                // Cluster mode: once the lease goes, any node may go on with this upload, rebuilt from the S3 parts and
                // the incomplete part; it never sees this node's background batches, so both are in S3 before we let go.
                await progressive.AdvanceAsync(record, newOffset);
                await tails.SaveAsync(record, offset, newOffset);
            }
            else
            {
                // In the background, while the client sends its next chunk; that PATCH waits for them if S3 is slower.
                await progressive.AdvanceInBackgroundAsync(record, newOffset);
            }

            return new ChunkResult(newOffset, false);
        }

        // Completion runs to the end even if the client leaves: half-finished work would only be redone.
        if (await TryCompleteAsync(record, CancellationToken.None) is { } rolledBack)
        {
            throw TusStateErrors.Conflict(
                $"The bytes held for this upload are not the bytes received; it was moved back to Upload-Offset {rolledBack.Offset}: resume from there");
        }

        await tails.DeleteAsync(record, offset); // the incomplete part of the previous PATCH: the object holds it now

        return new ChunkResult(newOffset, true);
    }

    /// <summary>The most this upload may hold: the global limit, lowered by its bucket's <c>file_size_limit</c>.</summary>
    private async Task<long> LimitForAsync(UploadRecord record, CancellationToken cancellationToken)
    {
        if (record.BucketId is null)
        {
            return options.UploadMaxSize;
        }

        var bucket = await objects.GetBucketAsync(record.BucketId, cancellationToken);
        return bucket is null ? options.UploadMaxSize : EffectiveLimit(bucket);
    }

    /// <summary>
    /// Runs completion. Returns null once the object is stored; when the held bytes turned out not to be the ones
    /// received, nothing is stored, the upload whose bytes were lost is rolled back (<see cref="UploadRollback.RestartAsync"/>)
    /// and its new state is returned. Infrastructure failures become 500 so tus-js-client retries (its HEAD then resumes completion).
    /// </summary>
    private async Task<UploadRecord?> TryCompleteAsync(UploadRecord record, CancellationToken cancellationToken)
    {
        try
        {
            await completion.CompleteAsync(record, cancellationToken);
            metrics.Completed.Increment();
            return null;
        }
        catch (UploadBytesLostException ex)
        {
            Log.UploadCompletionRefused(_logger, record.Id, ex.Reason);
            var lost = await rollback.RestartAsync(ex.Upload, ex.Reason, CancellationToken.None);
            if (record.IsFinal)
            {
                // A final upload has no bytes of its own to resume: it goes, and the partial must be sent again.
                await completion.DiscardAsync(record, CancellationToken.None);
                throw TusStateErrors.BadRequest(
                    $"Partial upload {lost.Id} no longer holds the bytes it received ({ex.Reason}); upload it again from Upload-Offset 0, then concatenate anew");
            }

            return lost;
        }
        catch (Exception ex) when (ex is not StorageException and not ProtocolException and not OperationCanceledException)
        {
            Log.UploadCompletionFailed(_logger, ex, record.Id);
            throw new UploadUnavailableException("The upload could not be stored yet; retry to resume completion", ex);
        }
    }
}
