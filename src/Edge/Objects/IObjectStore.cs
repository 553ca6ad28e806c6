namespace MadBase.Edge.Objects;

/// <summary>
/// Where object bytes live (<see cref="FileObjectStore"/> or <see cref="S3ObjectStore"/>). Keys come from
/// <see cref="ObjectKeys.For"/>: <c>bucket/name/version</c>. A key is written once and never overwritten in place —
/// an overwrite is a new version key plus a row flip in <c>storage.objects</c> — so readers never see half-written bytes.
/// </summary>
internal interface IObjectStore
{
    /// <summary>
    /// How this store takes a body larger than one part; the uploaders ask this, never which store it is (the store is
    /// chosen once, in <see cref="ObjectsServiceCollectionExtensions.AddObjects"/>).
    /// </summary>
    LargeBodyWrite LargeBodies { get; }

    /// <summary>
    /// Streams <paramref name="source"/> to <paramref name="key"/> atomically: the key either holds every byte or
    /// does not exist. Memory stays bounded whatever the size. Size limits are the caller's (wrap the source in a
    /// <see cref="SizeLimitStream"/>); the store computes the MD5 ETag.
    /// </summary>
    Task<StoredBytes> PutAsync(string key, Stream source, string contentType, CancellationToken cancellationToken);

    /// <summary>Opens the bytes (or one resolved range of them); <c>null</c> when the key does not exist.</summary>
    Task<ObjectReadResult?> OpenReadAsync(string key, ByteRange? range, CancellationToken cancellationToken);

    /// <summary>Whether the bytes are local files <see cref="LocalFile"/> names (asked once, to turn the sendfile road on).</summary>
    bool HasLocalFiles { get; }

    /// <summary>
    /// The local file that holds <paramref name="key"/>'s bytes, for a reader that sends them itself (sendfile on the
    /// epoll loops), or null when this store's bytes are not local files or the key cannot name one. The file may be
    /// gone by the time it is opened (an overwrite or delete): the reader then falls back to <see cref="OpenReadAsync"/>'s road.
    /// </summary>
    string? LocalFile(string key);

    /// <summary>Deletes the key; a missing key is not an error (deletes are retried and raced).</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>Deletes many keys (bucket empties, batch removes) in as few backend calls as the store allows.</summary>
    Task DeleteManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken);

    /// <summary>Copies existing bytes to a new key inside the store (no round trip through this process for S3).</summary>
    Task CopyAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken);

    /// <summary>
    /// Makes a finished, fsynced local file the bytes of <paramref name="key"/> without copying them (a hard link), or
    /// returns null when this store cannot (another filesystem, or a remote store): the caller then sends the bytes.
    /// </summary>
    /// <param name="etag">The quoted ETag: the caller has just read and proven the bytes, so they are not hashed again.</param>
    StoredBytes? TryAdopt(string key, string localPath, long expectedLength, string etag);

    /// <summary>Starts a multipart upload whose completed bytes land at <paramref name="key"/> (see <see cref="MultipartWriter"/>).</summary>
    Task<MultipartUpload> CreateMultipartAsync(string key, string contentType, CancellationToken cancellationToken);

    /// <summary>
    /// Uploads part <paramref name="partNumber"/> (1–10 000) of exactly <paramref name="length"/> bytes. On S3 every
    /// part but the last must be at least 5 MiB, and the source should be seekable (a scratch file or a buffer) because
    /// the request is signed over its payload. Parts may be uploaded concurrently.
    /// </summary>
    Task<MultipartPart> UploadPartAsync(MultipartUpload upload, int partNumber, Stream source, long length, CancellationToken cancellationToken);

    /// <summary>Joins the parts, in part-number order, into the upload's key; only then does the key exist.</summary>
    Task<StoredBytes> CompleteMultipartAsync(MultipartUpload upload, IReadOnlyList<MultipartPart> parts, CancellationToken cancellationToken);

    /// <summary>Discards an unfinished upload and its parts; an unknown upload is not an error.</summary>
    Task AbortMultipartAsync(MultipartUpload upload, CancellationToken cancellationToken);
}

/// <summary>How a store takes a body larger than one part (<see cref="PartLayout"/>).</summary>
internal enum LargeBodyWrite
{
    /// <summary>Written whole, in one atomic local write; a finished local file can be adopted by link (the file store).</summary>
    Whole,

    /// <summary>
    /// Sent as a multipart upload (S3): every request stays bounded, and parts already stored survive a restart, so a
    /// TUS upload sends its whole parts while it is still receiving bytes.
    /// </summary>
    InParts,
}

/// <summary>What a completed write stored: its size and its quoted ETag (as HTTP sends it).</summary>
internal sealed record StoredBytes(long Size, string ETag);

/// <summary>A satisfiable byte range: <paramref name="Start"/> and <paramref name="Length"/> within the object.</summary>
internal readonly record struct ByteRange(long Start, long Length)
{
    public long End => Start + Length - 1;
}

/// <summary>An in-progress multipart upload; <see cref="UploadId"/> is the store's own id.</summary>
internal sealed record MultipartUpload(string Key, string UploadId);

/// <summary>One uploaded part: its number, its ETag as the store returned it, and its size.</summary>
internal sealed record MultipartPart(int PartNumber, string ETag, long Size);

/// <summary>An open download: the body (exactly <see cref="Length"/> bytes) of an object of <see cref="TotalSize"/> bytes.</summary>
internal sealed class ObjectReadResult(Stream body, long length, long totalSize, IDisposable? owner = null) : IAsyncDisposable
{
    public Stream Body { get; } = body;

    public long Length { get; } = length;

    public long TotalSize { get; } = totalSize;

    public async ValueTask DisposeAsync()
    {
        await Body.DisposeAsync();
        owner?.Dispose();
    }
}
