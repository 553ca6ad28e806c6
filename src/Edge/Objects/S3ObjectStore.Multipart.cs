using System.Buffers;
using Amazon.Runtime;
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
    /// Streams the rest of <paramref name="source"/> as parts. <paramref name="first"/> is already full; each later
    /// buffer is filled while up to <see cref="PartsInFlight"/> earlier parts upload. Any failure aborts the upload so
    /// no orphan parts are billed.
    /// </summary>
    private async Task PutMultipartAsync(string key, string contentType, Stream source, byte[] first, CancellationToken cancellationToken)
    {
        MultipartUpload upload;
        try
        {
            upload = await CreateMultipartAsync(key, contentType, cancellationToken);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(first);
            throw;
        }

        var inFlight = new List<Task<MultipartPart>>();
        var done = new List<MultipartPart>();
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            var buffer = first;
            var filled = PartSize;
            for (var partNumber = 1; ; partNumber++)
            {
                if (partNumber > 10_000)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw StorageException.EntityTooLarge();
                }

                inFlight.Add(UploadBufferAsync(upload, partNumber, buffer, filled, abort.Token));
                buffer = null!;
                if (filled < PartSize)
                {
                    break;
                }

                while (inFlight.Count >= PartsInFlight)
                {
                    var finished = await Task.WhenAny(inFlight);
                    inFlight.Remove(finished);
                    done.Add(await finished);
                }

                buffer = ArrayPool<byte>.Shared.Rent(PartSize);
                filled = await FillAsyncReturningOnError(source, buffer, abort.Token);
                if (filled == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    break;
                }
            }

            done.AddRange(await Task.WhenAll(inFlight));
            await CompleteMultipartAsync(upload, done, cancellationToken);
        }
        catch (Exception ex)
        {
            await abort.CancelAsync();
            try
            {
                await Task.WhenAll(inFlight);
            }
            catch (Exception)
            {
                // The parts' own failures are secondary to the one being rethrown.
            }

            try
            {
                await AbortMultipartAsync(upload, CancellationToken.None);
            }
            catch (AmazonServiceException abortError)
            {
                LogAbortFailure(key, abortError);
            }

            if (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new IOException("an S3 part upload was cancelled", ex);
            }

            throw;
        }
    }

    private static async Task<int> FillAsyncReturningOnError(Stream source, byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await FillAsync(source, buffer, cancellationToken);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private async Task<MultipartPart> UploadBufferAsync(MultipartUpload upload, int partNumber, byte[] buffer, int length, CancellationToken cancellationToken)
    {
        try
        {
            using var body = new MemoryStream(buffer, 0, length, writable: false);
            return await UploadPartAsync(upload, partNumber, body, length, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
