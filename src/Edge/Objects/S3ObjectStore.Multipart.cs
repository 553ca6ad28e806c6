using System.Buffers;

namespace MadBase.Edge.Objects;

internal sealed partial class S3ObjectStore
{
    public async Task<MultipartUpload> CreateMultipartAsync(string key, string contentType, CancellationToken cancellationToken) =>
        new(key, await _client.CreateMultipartUploadAsync(key, contentType, cancellationToken));

    public async Task<MultipartPart> UploadPartAsync(MultipartUpload upload, int partNumber, Stream source, long length, CancellationToken cancellationToken) =>
        new(partNumber, await _client.UploadPartAsync(upload.Key, upload.UploadId, partNumber, source, length, cancellationToken), length);

    public async Task<StoredBytes> CompleteMultipartAsync(MultipartUpload upload, IReadOnlyList<MultipartPart> parts, CancellationToken cancellationToken)
    {
        var etag = await _client.CompleteMultipartUploadAsync(
            upload.Key, upload.UploadId, parts.OrderBy(p => p.PartNumber).Select(p => (p.PartNumber, p.ETag)), cancellationToken);
        return new StoredBytes(parts.Sum(p => p.Size), etag.StartsWith('"') ? etag : "\"" + etag + "\"");
    }

    public Task AbortMultipartAsync(MultipartUpload upload, CancellationToken cancellationToken) =>
        _client.AbortMultipartUploadAsync(upload.Key, upload.UploadId, cancellationToken);

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
