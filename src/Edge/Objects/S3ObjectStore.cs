using System.Buffers;
using System.Net;
using MadBase.Edge.Objects.S3;

namespace MadBase.Edge.Objects;

/// <summary>
/// Objects in one S3 bucket under the same <c>bucket/name/version</c> keys. An upload whose size fits one part is a
/// single PutObject; anything larger (or of unknown length) becomes a multipart upload of pooled part buffers
/// (<see cref="PartLayout.StreamingPartSize"/>, sent by <see cref="MultipartWriter"/>), so memory stays bounded and S3
/// only shows the key once CompleteMultipartUpload succeeds.
/// </summary>
internal sealed partial class S3ObjectStore : IObjectStore, IDisposable
{
    private readonly S3Client _client;
    private readonly ILogger _logger;

    public S3ObjectStore(EdgeOptions options, ILoggerFactory loggers)
    {
        _logger = loggers.CreateLogger("MadBase.Edge.Objects.S3ObjectStore");
        _client = new S3Client(
            options.S3Endpoint!, options.S3Bucket!, options.S3Region, options.S3AccessKey!, options.S3SecretKey!,
            options.S3ForcePathStyle, _logger);
        Log.ObjectStoreReady(_logger, "s3", options.S3Endpoint + " bucket " + options.S3Bucket);
    }

    public LargeBodyWrite LargeBodies => LargeBodyWrite.InParts;

    public bool HasLocalFiles => false; // the bytes are remote

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
                await _client.PutObjectAsync(key, body, filled, contentType, cancellationToken);
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
        var download = await _client.GetObjectAsync(key, range is { } r ? (r.Start, r.End) : null, cancellationToken);
        if (download is null)
        {
            return null;
        }

        var total = range is null ? download.Length : download.TotalSize ?? download.Length;
        return new ObjectReadResult(download.Body, download.Length, total, download);
    }

    public string? LocalFile(string key) => null;

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => _client.DeleteObjectAsync(key, cancellationToken);

    public async Task DeleteManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        // DeleteObjects takes at most 1000 keys per request.
        foreach (var chunk in keys.Chunk(1000))
        {
            var errors = await _client.DeleteObjectsAsync(chunk, cancellationToken);
            if (errors.Count > 0)
            {
                throw new IOException($"S3 refused to delete {errors.Count} key(s), first {errors[0].Key}: {errors[0].Code} {errors[0].Message}");
            }
        }
    }

    public async Task CopyAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken)
    {
        try
        {
            await _client.CopyObjectAsync(sourceKey, destinationKey, cancellationToken);
        }
        catch (S3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
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

    public void Dispose() => _client.Dispose();
}
