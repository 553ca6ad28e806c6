using System.Globalization;
using MadBase.Protocol.Tus;

namespace MadBase.Edge.Tus;

internal sealed partial class TusHandler
{
    /// <summary>
    /// HEAD: where to resume. Waits briefly for a running PATCH so the offset is settled. An upload whose bytes are all
    /// in but whose completion was cut short (crash, S3 outage) is completed here — tus-js-client treats
    /// offset == length as success and never PATCHes again, so HEAD must not report it before the object exists.
    /// The offset reported is one the held bytes back (<see cref="UploadRollback"/>): after a lost or replaced scratch
    /// file it is where the bytes still held end, and the client resends from there.
    /// </summary>
    private async Task HeadAsync(HttpContext context, bool signedRoute, string id)
    {
        var (record, _) = await LoadAsync(context, signedRoute, id);
        await using (await locks.AcquireAsync(record.Id, HeadLockWait, context.RequestAborted))
        {
            record = await uploads.GetAsync(record.Id, context.RequestAborted) ?? throw TusStateErrors.NotFound();
            record = await rollback.EnsureBackedAsync(record, CancellationToken.None); // never report an offset the bytes do not back
            if (record.IsFullyReceived && !record.IsCompleted && !record.IsPartial)
            {
                record = await TryCompleteAsync(record, CancellationToken.None) ?? record with { Status = UploadStatus.Completed };
            }
        }

        // A completed upload whose object was since deleted or replaced answers 404, so a client holding a stale
        // fingerprint uploads again instead of reporting a phantom success (docs/protocol/tus-and-storage.md §Stale fingerprints).
        if (record.IsCompleted && !record.IsPartial)
        {
            var row = await objects.FindAsync(record.BucketId!, record.ObjectName!, null, UploadCompletion.Operation, context.RequestAborted);
            if (row?.Version != record.Version.ToString())
            {
                throw TusStateErrors.NotFound();
            }
        }

        var headers = context.Response.Headers;
        headers.CacheControl = "no-store";
        TusResponses.SetOffset(context, record.Offset);
        if (record.Length is { } length)
        {
            headers[TusHeaderNames.UploadLength] = length.ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            headers[TusHeaderNames.UploadDeferLength] = TusNumericHeaders.DeferLengthValue;
        }

        if (record.Metadata.Length > 0)
        {
            headers[TusHeaderNames.UploadMetadata] = record.Metadata;
        }

        if (record.Concat is not null)
        {
            headers[TusHeaderNames.UploadConcat] = record.IsPartial
                ? UploadStatus.ConcatPartial
                : TusConcat.Final(record.ConcatParts.Select(p => LocationFor(context, signedRoute, p))).Format();
        }

        if (!record.IsCompleted)
        {
            TusResponses.SetExpires(context, record.ExpiresAt);
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <summary>DELETE (termination): scratch, multipart parts and state go; a completed upload cannot be terminated.</summary>
    private async Task TerminateAsync(HttpContext context, bool signedRoute, string id)
    {
        var (record, _) = await LoadAsync(context, signedRoute, id);
        await using (await locks.AcquireAsync(record.Id, TimeSpan.Zero, context.RequestAborted))
        {
            record = await uploads.GetAsync(record.Id, context.RequestAborted) ?? throw TusStateErrors.NotFound();
            if (record.IsCompleted)
            {
                throw TusStateErrors.BadRequest("Cannot terminate an already completed upload");
            }

            await completion.DiscardAsync(record, context.RequestAborted);
            await tails.DeleteAsync(record, record.Offset);
        }

        Log.UploadTerminated(_logger, record.Id);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }
}
