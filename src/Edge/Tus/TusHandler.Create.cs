using MadBase.Edge.Objects;
using MadBase.Protocol.Tus;

namespace MadBase.Edge.Tus;

internal sealed partial class TusHandler
{
    /// <summary>
    /// POST: creation (+ with-upload, defer-length, concatenation). Every check that can refuse the upload — headers,
    /// metadata, auth, bucket, size and MIME limits, the RLS probe as the caller — runs before a byte is accepted.
    /// </summary>
    private async Task CreateAsync(HttpContext context, bool signedRoute)
    {
        var headers = context.Request.Headers;
        var concat = headers[TusHeaderNames.UploadConcat] is [{ Length: > 0 } concatHeader] ? TusConcat.Parse(concatHeader) : null;
        var metadataHeader = headers[TusHeaderNames.UploadMetadata].ToString();
        var metadata = TusMetadata.Parse(metadataHeader);
        if (concat?.Kind == TusConcatKind.Final)
        {
            await CreateFinalAsync(context, signedRoute, concat, metadata, metadataHeader);
            return;
        }

        var lengthHeader = headers[TusHeaderNames.UploadLength].ToString();
        var deferHeader = headers[TusHeaderNames.UploadDeferLength].ToString();
        if ((lengthHeader.Length > 0) == (deferHeader.Length > 0))
        {
            throw TusStateErrors.BadRequest("Exactly one of Upload-Length and Upload-Defer-Length is required");
        }

        long? length = null;
        if (lengthHeader.Length > 0)
        {
            length = TusNumericHeaders.ParseUploadLength(lengthHeader);
        }
        else
        {
            TusNumericHeaders.ValidateUploadDeferLength(deferHeader);
        }

        var partial = concat?.Kind == TusConcatKind.Partial;
        var target = partial && !metadata.ContainsKey("bucketName") ? null : UploadTarget.FromMetadata(metadata);
        var caller = Authenticate(context, signedRoute, target is null ? null : target.BucketId + "/" + target.ObjectName);
        if (length > options.UploadMaxSize)
        {
            throw TusStateErrors.TooLarge(options.UploadMaxSize);
        }

        var upsert = caller.SignedUpsert ?? IsUpsert(context);
        if (target is not null && !partial)
        {
            await AuthorizeWriteAsync(target, length, upsert, caller, context.RequestAborted);
        }

        var version = Guid.NewGuid();
        var now = time.GetUtcNow();
        var record = new UploadRecord
        {
            // Partial uploads have no object yet; their id only needs to be unguessable.
            Id = target is null || partial ? version.ToString("N") : new TusUploadId(target.BucketId, target.ObjectName, version).Encode(),
            BucketId = partial ? null : target?.BucketId,
            ObjectName = partial ? null : target?.ObjectName,
            Version = version,
            Length = length,
            Offset = 0,
            Metadata = metadataHeader,
            ContentType = target?.ContentType ?? UploadTarget.DefaultContentType,
            CacheControl = target?.CacheControl ?? "no-cache",
            UserMetadata = target?.UserMetadataJson,
            Role = caller.Claims.Role,
            OwnerId = caller.OwnerId,
            Claims = caller.Claims.RawJson,
            Upsert = upsert,
            Concat = partial ? UploadStatus.ConcatPartial : null,
            Status = UploadStatus.Uploading,
            CreatedAt = now,
            ExpiresAt = now + options.UploadExpiry,
            ScratchIdentity = scratch.Create(version), // before the row: a recorded upload always has its file
            ReceivedCrc = ReceivedCrc.Empty,
        };

        await uploads.InsertAsync(record, context.RequestAborted);
        metrics.Created.Increment();
        Log.UploadCreated(_logger, record.Id, record.BucketId ?? "(partial)", record.ObjectName ?? "", length?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "deferred");

        context.Response.Headers.Location = LocationFor(context, signedRoute, record.Id);
        var hasBody = context.Request.ContentLength > 0 || (context.Request.ContentLength is null && headers.TransferEncoding.Count > 0);
        if (hasBody || length == 0)
        {
            // creation-with-upload: the POST body is the first chunk (also completes a zero-byte upload at once).
            var result = await WriteChunkAsync(context, record, 0, requireBodyType: hasBody);
            context.Response.StatusCode = StatusCodes.Status201Created;
            TusResponses.SetOffset(context, result.Offset);
            if (!result.Completed)
            {
                TusResponses.SetExpires(context, record.ExpiresAt);
            }

            return;
        }

        TusResponses.SetExpires(context, record.ExpiresAt);
        context.Response.StatusCode = StatusCodes.Status201Created;
    }

    /// <summary>
    /// concatenation: <c>Upload-Concat: final;&lt;url&gt; &lt;url&gt;…</c>. Every partial must be the caller's and fully
    /// received; the final upload is then complete by definition and becomes the object before the 201.
    /// </summary>
    private async Task CreateFinalAsync(HttpContext context, bool signedRoute, TusConcat concat, TusMetadata metadata, string metadataHeader)
    {
        var target = UploadTarget.FromMetadata(metadata);
        var caller = Authenticate(context, signedRoute, target.BucketId + "/" + target.ObjectName);
        var parts = new List<UploadRecord>(concat.PartialUploads.Count);
        foreach (var url in concat.PartialUploads)
        {
            var partId = url.TrimEnd('/')[(url.TrimEnd('/').LastIndexOf('/') + 1)..];
            var part = await uploads.GetAsync(partId, context.RequestAborted);
            if (part is null || !part.IsPartial || !caller.MayAccess(part) && caller.SignedUrl is null)
            {
                throw TusStateErrors.BadRequest("Upload-Concat names an unknown partial upload: " + url);
            }

            if (!part.IsFullyReceived || part.Status != UploadStatus.Uploading || part.ExpiresAt <= time.GetUtcNow())
            {
                throw TusStateErrors.BadRequest("Partial upload is not complete: " + url);
            }

            if (parts.Any(p => p.Id == part.Id))
            {
                throw TusStateErrors.BadRequest("Upload-Concat names a partial upload twice: " + url);
            }

            parts.Add(part);
        }

        var length = parts.Sum(p => p.Length!.Value);
        if (length > options.UploadMaxSize)
        {
            throw TusStateErrors.TooLarge(options.UploadMaxSize);
        }

        var upsert = caller.SignedUpsert ?? IsUpsert(context);
        await AuthorizeWriteAsync(target, length, upsert, caller, context.RequestAborted);

        var version = Guid.NewGuid();
        var now = time.GetUtcNow();
        var record = new UploadRecord
        {
            Id = new TusUploadId(target.BucketId, target.ObjectName, version).Encode(),
            BucketId = target.BucketId,
            ObjectName = target.ObjectName,
            Version = version,
            Length = length,
            Offset = length,
            Metadata = metadataHeader,
            ContentType = target.ContentType,
            CacheControl = target.CacheControl,
            UserMetadata = target.UserMetadataJson,
            Role = caller.Claims.Role,
            OwnerId = caller.OwnerId,
            Claims = caller.Claims.RawJson,
            Upsert = upsert,
            Concat = UploadStatus.ConcatFinal,
            ConcatParts = [.. parts.Select(p => p.Id)],
            Status = UploadStatus.Uploading,
            CreatedAt = now,
            ExpiresAt = now + options.UploadExpiry,
        };

        await uploads.InsertAsync(record, context.RequestAborted);
        metrics.Created.Increment();
        await using (await locks.AcquireAsync(record.Id, TimeSpan.Zero, context.RequestAborted))
        {
            await TryCompleteAsync(record, CancellationToken.None); // a final upload is never rolled back: it throws instead
        }

        context.Response.Headers.Location = LocationFor(context, signedRoute, record.Id);
        context.Response.StatusCode = StatusCodes.Status201Created;
    }

    /// <summary>Bucket exists, size and MIME within its limits, and RLS lets the caller write the row (probe, rolled back).</summary>
    private async Task AuthorizeWriteAsync(UploadTarget target, long? length, bool upsert, UploadCaller caller, CancellationToken cancellationToken)
    {
        var bucket = await objects.GetBucketAsync(target.BucketId, cancellationToken) ?? throw StorageException.BucketNotFound();
        var limit = EffectiveLimit(bucket);
        if (length > limit)
        {
            throw TusStateErrors.TooLarge(limit);
        }

        if (!MimeTypes.IsAllowed(target.ContentType, bucket.AllowedMimeTypes))
        {
            throw StorageException.MimeNotAllowed(target.ContentType);
        }

        var write = new ObjectWrite(target.BucketId, target.ObjectName, Guid.NewGuid().ToString(), caller.OwnerId, target.ContentType,
            target.CacheControl, target.UserMetadataJson, upsert, "storage.tus.upload.create");
        await objects.ProbeWriteAsync(write, length, caller.IsService ? null : caller.Claims, cancellationToken);
    }

    private long EffectiveLimit(BucketRecord bucket) =>
        bucket.FileSizeLimit is { } bucketLimit and > 0 ? Math.Min(bucketLimit, options.UploadMaxSize) : options.UploadMaxSize;

    private static bool IsUpsert(HttpContext context) =>
        string.Equals(context.Request.Headers["x-upsert"].ToString(), "true", StringComparison.OrdinalIgnoreCase);
}
