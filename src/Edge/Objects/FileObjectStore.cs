using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace MadBase.Edge.Objects;

/// <summary>
/// Objects as files under <c>root/objects/&lt;bucket&gt;/&lt;name&gt;/&lt;version&gt;</c>. Every write goes to a
/// temporary file in the destination directory, is fsynced, then renamed into place — rename within one directory
/// is atomic, so a key either holds every byte or does not exist. Multipart parts are files under
/// <c>root/multipart/&lt;uploadId&gt;/</c>, joined on completion.
/// </summary>
internal sealed partial class FileObjectStore : IObjectStore
{
    private const int CopyBufferSize = 128 * 1024; // big enough for sequential disk throughput, small enough to pool
    private readonly string _objects;
    private readonly string _multipart;
    private readonly ILogger _logger;

    public FileObjectStore(string root, ILoggerFactory loggers)
    {
        _objects = Path.GetFullPath(Path.Combine(root, "objects"));
        _multipart = Path.GetFullPath(Path.Combine(root, "multipart"));
        _logger = loggers.CreateLogger("MadBase.Edge.Objects.FileObjectStore");
        Directory.CreateDirectory(_objects);
        Directory.CreateDirectory(_multipart);
        Log.ObjectStoreReady(_logger, "file", root);
    }

    public LargeBodyWrite LargeBodies => LargeBodyWrite.Whole;

    public bool HasLocalFiles => true;

    public async Task<StoredBytes> PutAsync(string key, Stream source, string contentType, CancellationToken cancellationToken)
    {
        using var hashing = new HashingReadStream(source);
        await WriteAtomicallyAsync(PathFor(key), async file => await CopyAsync(hashing, file, cancellationToken), cancellationToken);
        return new StoredBytes(hashing.BytesRead, hashing.QuotedETag());
    }

    public Task<ObjectReadResult?> OpenReadAsync(string key, ByteRange? range, CancellationToken cancellationToken)
    {
        SafeFileHandle handle;
        try
        {
            // Shared for delete: an overwrite may unlink the old version while it is read.
            handle = File.OpenHandle(PathFor(key), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<ObjectReadResult?>(null);
        }

        var total = RandomAccess.GetLength(handle);
        var (start, length) = range is { } r ? (r.Start, r.Length) : (0L, total);
        return Task.FromResult<ObjectReadResult?>(new ObjectReadResult(new FileRegionStream(handle, start, length), length, total));
    }

    public string? LocalFile(string key)
    {
        try
        {
            return PathFor(key);
        }
        catch (StorageException)
        {
            return null; // a key that would leave the objects directory
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathFor(key);
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            return Task.CompletedTask;
        }

        PruneEmptyDirectories(Path.GetDirectoryName(path)!);
        return Task.CompletedTask;
    }

    public async Task DeleteManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        foreach (var key in keys)
        {
            await DeleteAsync(key, cancellationToken);
        }
    }

    public async Task CopyAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken)
    {
        await using var source = await OpenReadAsync(sourceKey, null, cancellationToken) ?? throw StorageException.ObjectNotFound();
        await WriteAtomicallyAsync(PathFor(destinationKey), async file => await CopyAsync(source.Body, file, cancellationToken), cancellationToken);
    }

    public Task<MultipartUpload> CreateMultipartAsync(string key, string contentType, CancellationToken cancellationToken)
    {
        _ = PathFor(key); // validate before anything is created
        var id = Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(Path.Combine(_multipart, id));
        return Task.FromResult(new MultipartUpload(key, id));
    }

    public async Task<MultipartPart> UploadPartAsync(MultipartUpload upload, int partNumber, Stream source, long length, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partNumber, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(partNumber, PartLayout.MaxParts);
        var dir = UploadDirectory(upload);
        if (!Directory.Exists(dir))
        {
            throw new InvalidOperationException($"multipart upload {upload.UploadId} does not exist");
        }

        using var hashing = new HashingReadStream(source);
        await WriteAtomicallyAsync(Path.Combine(dir, partNumber.ToString(System.Globalization.CultureInfo.InvariantCulture)), async file =>
        {
            await CopyAsync(new SliceReadStream(hashing, length), file, cancellationToken);
            if (hashing.BytesRead != length)
            {
                throw new EndOfStreamException($"part {partNumber}: source ended after {hashing.BytesRead} of {length} bytes");
            }
        }, cancellationToken);
        return new MultipartPart(partNumber, hashing.QuotedETag(), length);
    }

    public async Task<StoredBytes> CompleteMultipartAsync(MultipartUpload upload, IReadOnlyList<MultipartPart> parts, CancellationToken cancellationToken)
    {
        var dir = UploadDirectory(upload);
        long size = 0;
        string etag = "";
        await WriteAtomicallyAsync(PathFor(upload.Key), async file =>
        {
            // One MD5 over the joined bytes as they are copied (not S3's md5-of-md5s "-N" form: the file store has no parts to show).
            using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
            foreach (var part in parts.OrderBy(p => p.PartNumber))
            {
                await using var partFile = File.OpenRead(Path.Combine(dir, part.PartNumber.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                size += await CopyAsync(partFile, file, cancellationToken, md5);
            }

            etag = "\"" + Convert.ToHexStringLower(md5.GetHashAndReset()) + "\"";
        }, cancellationToken);
        Directory.Delete(dir, recursive: true);
        return new StoredBytes(size, etag);
    }

    public Task AbortMultipartAsync(MultipartUpload upload, CancellationToken cancellationToken)
    {
        var dir = UploadDirectory(upload);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        return Task.CompletedTask;
    }

    /// <summary>Maps a key to a path and proves it stays under the objects root (defence in depth behind name validation).</summary>
    private string PathFor(string key)
    {
        var path = Path.GetFullPath(Path.Combine(_objects, key));
        if (!path.StartsWith(_objects + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw StorageException.InvalidKey(key);
        }

        return path;
    }

    private string UploadDirectory(MultipartUpload upload)
    {
        if (upload.UploadId.Length != 32 || !upload.UploadId.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException("not a file-store upload id", nameof(upload));
        }

        return Path.Combine(_multipart, upload.UploadId);
    }

    private async Task WriteAtomicallyAsync(string path, Func<FileStream, Task> write, CancellationToken cancellationToken)
    {
        var dir = Path.GetDirectoryName(path)!;
        var temp = Path.Combine(dir, "." + Path.GetFileName(path) + ".tmp-" + Guid.NewGuid().ToString("N")[..12]);
        FileStream file;
        for (var attempt = 0; ; attempt++)
        {
            Directory.CreateDirectory(dir);
            try
            {
                file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.Asynchronous);
                break;
            }
            catch (DirectoryNotFoundException) when (attempt < 3)
            {
                // A concurrent delete pruned the directory between CreateDirectory and open; create it again.
            }
        }

        try
        {
            await using (file)
            {
                await write(file);
                await file.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true); // fsync before rename: a crash must not leave a renamed empty file
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            PruneEmptyDirectories(dir);
            throw;
        }
    }

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException ex)
        {
            Log.FileCleanupFailed(_logger, path, ex.Message);
        }
    }

    /// <summary>Removes now-empty directories up to the bucket so deleted names do not leave directory trees behind.</summary>
    private void PruneEmptyDirectories(string dir)
    {
        while (dir.Length > _objects.Length && dir.StartsWith(_objects + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            try
            {
                if (Directory.EnumerateFileSystemEntries(dir).Any())
                {
                    return;
                }

                Directory.Delete(dir);
            }
            catch (IOException)
            {
                return; // not empty any more (a concurrent write), or already gone
            }

            dir = Path.GetDirectoryName(dir)!;
        }
    }

    private static async Task<long> CopyAsync(Stream source, Stream destination, CancellationToken cancellationToken, IncrementalHash? md5 = null)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            long total = 0;
            int n;
            while ((n = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                md5?.AppendData(buffer, 0, n);
                await destination.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                total += n;
            }

            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
