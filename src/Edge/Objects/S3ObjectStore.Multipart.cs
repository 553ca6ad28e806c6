using System.Buffers;
using Amazon.S3;
using Amazon.S3.Model;

namespace MadBase.Edge.Objects;

internal sealed partial class S3ObjectStore
{
    public async Task<MultipartUpload> CreateMultipartAsync(string key, string contentType, CancellationToken cancellationToken)
    {
        var response = await _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = _bucket,
            Key = key,
            ContentType = contentType,
        }, cancellationToken);
        return new MultipartUpload(key, response.UploadId);
    }

    public async Task<MultipartPart> UploadPartAsync(MultipartUpload upload, int partNumber, Stream source, long length, CancellationToken cancellationToken)
    {
        var response = await _client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = _bucket,
            Key = upload.Key,
            UploadId = upload.UploadId,
            PartNumber = partNumber,
            InputStream = source,
            PartSize = length,
            UseChunkEncoding = false,
        }, cancellationToken);
        return new MultipartPart(partNumber, response.ETag, length);
    }

    public async Task<StoredBytes> CompleteMultipartAsync(MultipartUpload upload, IReadOnlyList<MultipartPart> parts, CancellationToken cancellationToken)
    {
        var response = await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = _bucket,
            Key = upload.Key,
            UploadId = upload.UploadId,
            PartETags = [.. parts.OrderBy(p => p.PartNumber).Select(p => new PartETag(p.PartNumber, p.ETag))],
        }, cancellationToken);
        var etag = response.ETag ?? "";
        return new StoredBytes(parts.Sum(p => p.Size), etag.StartsWith('"') ? etag : "\"" + etag + "\"");
    }

    public async Task AbortMultipartAsync(MultipartUpload upload, CancellationToken cancellationToken)
    {
        try
        {
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest
            {
                BucketName = _bucket,
                Key = upload.Key,
                UploadId = upload.UploadId,
            }, cancellationToken);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            // NoSuchUpload: already completed or aborted.
        }
    }

    /// <summary>
    /// Streams the rest of <paramref name="source"/> as parts of <see cref="PartLayout.StreamingPartSize"/>.
    /// <paramref name="first"/> is already full; each later buffer is rented and filled only once a part slot is free,
    /// so a request holds at most <see cref="PartLayout.StreamingPartsInFlight"/> buffers. Failures follow
    /// <see cref="MultipartWriter"/>'s policy (the upload is aborted: no orphan parts are billed).
    /// </summary>
    private async Task PutInPartsAsync(string key, string contentType, Stream source, byte[] first, CancellationToken cancellationToken)
    {
        var pending = first; // owned here until a part takes it
        try
        {
            await MultipartWriter.WriteAsync(this, key, contentType, PartLayout.StreamingPartsInFlight, _logger, async writer =>
            {
                var filled = PartLayout.StreamingPartSize;
                await writer.WaitForSlotAsync();
                for (var partNumber = 1; ; partNumber++)
                {
                    var (buffer, length, number) = (pending!, filled, partNumber);
                    pending = null;
                    writer.Send(number, token => UploadBufferAsync(writer, number, buffer, length, token));
                    if (length < PartLayout.StreamingPartSize)
                    {
                        return;
                    }

                    await writer.WaitForSlotAsync();
                    pending = ArrayPool<byte>.Shared.Rent(PartLayout.StreamingPartSize);
                    filled = await FillAsync(source, pending, writer.Stopping);
                    if (filled == 0)
                    {
                        return;
                    }

                    PartLayout.EnsureWithinLimit(partNumber + 1);
                }
            }, cancellationToken);
        }
        finally
        {
            if (pending is not null)
            {
                ArrayPool<byte>.Shared.Return(pending);
            }
        }
    }

    private static async Task<MultipartPart> UploadBufferAsync(MultipartWriter writer, int partNumber, byte[] buffer, int length, CancellationToken cancellationToken)
    {
        try
        {
            using var body = new MemoryStream(buffer, 0, length, writable: false);
            return await writer.SendPartAsync(partNumber, body, length, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
