using System.Collections.Concurrent;
using MadBase.Edge.Objects;

namespace MadBase.Edge.Tests.Objects;

/// <summary>
/// An in-memory <see cref="IObjectStore"/> for the multipart engine's in-process tests: it keeps every part it is
/// given, counts parts on the wire at once, records completes and aborts, and lets a test decide how each part
/// upload behaves (<see cref="OnPart"/>: delay, fail, hang until cancelled) and when a multipart upload is created
/// (<see cref="OnCreate"/>).
/// </summary>
internal sealed class RecordingObjectStore : IObjectStore
{
    private readonly ConcurrentDictionary<int, byte[]> _parts = new();
    private int _onWire;
    private int _maxOnWire;
    private int _partsStarted;
    private int _aborts;
    private int _creates;

    /// <summary>Runs inside each part upload after its bytes are read; throw to fail the part. Default: a short delay.</summary>
    public Func<int, CancellationToken, Task> OnPart { get; set; } = (_, token) => Task.Delay(10, token);

    /// <summary>Runs inside each CreateMultipartUpload before it answers (e.g. waits for a test's gate). Default: none.</summary>
    public Func<CancellationToken, Task> OnCreate { get; set; } = _ => Task.CompletedTask;

    public Exception? AbortFailure { get; set; }

    /// <summary>Multipart uploads created: the first is <c>upload-1</c>, the next <c>upload-2</c>.</summary>
    public int Creates => _creates;

    public int MaxOnWire => _maxOnWire;

    public int PartsStarted => _partsStarted;

    public int Aborts => _aborts;

    public List<IReadOnlyList<MultipartPart>> Completed { get; } = [];

    /// <summary>The ids of the multipart uploads aborted, in order.</summary>
    public ConcurrentQueue<string> Aborted { get; } = new();

    public byte[]? Object { get; private set; }

    public LargeBodyWrite LargeBodies => LargeBodyWrite.InParts;

    public bool HasLocalFiles => false;

    public async Task<MultipartUpload> CreateMultipartAsync(string key, string contentType, CancellationToken cancellationToken)
    {
        var number = Interlocked.Increment(ref _creates);
        await OnCreate(cancellationToken);
        return new MultipartUpload(key, "upload-" + number);
    }

    public async Task<MultipartPart> UploadPartAsync(MultipartUpload upload, int partNumber, Stream source, long length, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _partsStarted);
        var now = Interlocked.Increment(ref _onWire);
        InterlockedMax(ref _maxOnWire, now);
        try
        {
            var bytes = new byte[length];
            await source.ReadExactlyAsync(bytes, cancellationToken);
            await OnPart(partNumber, cancellationToken);
            _parts[partNumber] = bytes;
            return new MultipartPart(partNumber, "\"etag-" + partNumber + "\"", length);
        }
        finally
        {
            Interlocked.Decrement(ref _onWire);
        }
    }

    public Task<StoredBytes> CompleteMultipartAsync(MultipartUpload upload, IReadOnlyList<MultipartPart> parts, CancellationToken cancellationToken)
    {
        Completed.Add(parts);
        Object = [.. parts.OrderBy(p => p.PartNumber).SelectMany(p => _parts[p.PartNumber])];
        return Task.FromResult(new StoredBytes(Object.Length, "\"joined\""));
    }

    public Task AbortMultipartAsync(MultipartUpload upload, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _aborts);
        Aborted.Enqueue(upload.UploadId);
        return AbortFailure is { } failure ? Task.FromException(failure) : Task.CompletedTask;
    }

    public StoredBytes? TryAdopt(string key, string localPath, long expectedLength, string etag) => null;

    public Task<StoredBytes> PutAsync(string key, Stream source, string contentType, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<ObjectReadResult?> OpenReadAsync(string key, ByteRange? range, CancellationToken cancellationToken) => throw new NotSupportedException();

    public string? LocalFile(string key) => null;

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task DeleteManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task CopyAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken) => throw new NotSupportedException();

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
