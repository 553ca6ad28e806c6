using System.Buffers;
using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using MadBase.Edge.Configuration;

namespace MadBase.Edge.Objects;

/// <summary>
/// Objects in one S3 bucket under the same <c>bucket/name/version</c> keys. An upload whose size fits one part is a
/// single PutObject; anything larger (or of unknown length) becomes a multipart upload of pooled part buffers
/// (<see cref="PartLayout.StreamingPartSize"/>, sent by <see cref="MultipartWriter"/>), so memory stays bounded and S3
/// only shows the key once CompleteMultipartUpload succeeds.
/// </summary>
internal sealed partial class S3ObjectStore : IObjectStore, IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly string _bucket;
    private readonly ILogger _logger;

    public S3ObjectStore(EdgeOptions options, ILogger<S3ObjectStore> logger)
    {
        var config = new AmazonS3Config
        {
            ServiceURL = options.S3Endpoint!.ToString(),
            ForcePathStyle = options.S3ForcePathStyle,
            AuthenticationRegion = options.S3Region,
            UseHttp = options.S3Endpoint.Scheme == "http",
            // Only send checksums S3 requires: S3-compatible servers (s3rver, older MinIO) reject or mis-store the rest.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            // The SDK reads a part (to sign it, then to send it) in buffers of this size: its 8 KiB default meant ~3
            // pread calls per 8 KiB of every part. 64 KiB stays below the large-object heap's 85,000 bytes.
            BufferSize = 64 * 1024,
        };
        _client = new AmazonS3Client(new BasicAWSCredentials(options.S3AccessKey, options.S3SecretKey), config);
        _bucket = options.S3Bucket!;
        _logger = logger;
    }

    public LargeBodyWrite LargeBodies => LargeBodyWrite.InParts;

    /// <summary>S3 cannot link a file of this machine: the caller sends the bytes.</summary>
    public StoredBytes? TryAdopt(string key, string localPath, long expectedLength, string etag) => null;

    public async Task<StoredBytes> PutAsync(string key, Stream source, string contentType, CancellationToken cancellationToken)
    {
        using var hashing = new HashingReadStream(source);
        var first = ArrayPool<byte>.Shared.Rent(PartLayout.StreamingPartSize);
        var handedOver = false;
        try
        {
            var filled = await FillAsync(hashing, first, cancellationToken);
            if (filled < PartLayout.StreamingPartSize)
            {
                using var body = new MemoryStream(first, 0, filled, writable: false);
                await _client.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = _bucket,
                    Key = key,
                    InputStream = body,
                    AutoCloseStream = false,
                    ContentType = contentType,
                    UseChunkEncoding = false, // aws-chunked bodies are stored verbatim by s3rver and some other S3 peers
                }, cancellationToken);
                return new StoredBytes(filled, hashing.QuotedETag());
            }

            handedOver = true; // PutInPartsAsync returns the buffer to the pool, whatever happens
            await PutInPartsAsync(key, contentType, hashing, first, cancellationToken);
            return new StoredBytes(hashing.BytesRead, hashing.QuotedETag());
        }
        finally
        {
            if (!handedOver)
            {
                ArrayPool<byte>.Shared.Return(first);
            }
        }
    }

    public async Task<ObjectReadResult?> OpenReadAsync(string key, ByteRange? range, CancellationToken cancellationToken)
    {
        var request = new GetObjectRequest { BucketName = _bucket, Key = key };
        if (range is { } r)
        {
            request.ByteRange = new Amazon.S3.Model.ByteRange(r.Start, r.End);
        }

        GetObjectResponse response;
        try
        {
            response = await _client.GetObjectAsync(request, cancellationToken);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var length = response.ContentLength;
        var total = range is null ? length : ParseTotal(response.ContentRange) ?? length;
        return new ObjectReadResult(response.ResponseStream, length, total, response);
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = key }, cancellationToken);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone: deletes are idempotent.
        }
    }

    public async Task DeleteManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        // DeleteObjects takes at most 1000 keys per request.
        foreach (var chunk in keys.Chunk(1000))
        {
            var response = await _client.DeleteObjectsAsync(new DeleteObjectsRequest
            {
                BucketName = _bucket,
                Objects = [.. chunk.Select(k => new KeyVersion { Key = k })],
                Quiet = true,
            }, cancellationToken);
            if (response.DeleteErrors is { Count: > 0 } errors)
            {
                throw new IOException($"S3 refused to delete {errors.Count} key(s), first {errors[0].Key}: {errors[0].Code} {errors[0].Message}");
            }
        }
    }

    public async Task CopyAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken)
    {
        try
        {
            await _client.CopyObjectAsync(new CopyObjectRequest
            {
                SourceBucket = _bucket,
                SourceKey = sourceKey,
                DestinationBucket = _bucket,
                DestinationKey = destinationKey,
            }, cancellationToken);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            throw StorageException.ObjectNotFound();
        }
    }

    /// <summary>Fills <paramref name="buffer"/> from the source; returns fewer bytes only at the end of the source.</summary>
    private static async Task<int> FillAsync(Stream source, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < PartLayout.StreamingPartSize)
        {
            var n = await source.ReadAsync(buffer.AsMemory(filled, PartLayout.StreamingPartSize - filled), cancellationToken);
            if (n == 0)
            {
                break;
            }

            filled += n;
        }

        return filled;
    }

    private static long? ParseTotal(string? contentRange)
    {
        // "bytes 0-9/1234"
        var slash = contentRange?.LastIndexOf('/') ?? -1;
        return slash > 0 && long.TryParse(contentRange.AsSpan(slash + 1), System.Globalization.CultureInfo.InvariantCulture, out var total) ? total : null;
    }

    public void Dispose() => _client.Dispose();
}
