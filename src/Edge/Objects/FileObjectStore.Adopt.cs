using System.Buffers;
using System.Runtime.InteropServices;

namespace MadBase.Edge.Objects;

internal sealed partial class FileObjectStore
{
    private const int HashBufferSize = 1024 * 1024;

    private const int EPerm = 1; // errno: the filesystem does not support hard links
    private const int EExist = 17; // errno: the new path already exists
    private const int EXDev = 18; // errno: the paths are on different filesystems

    /// <summary>
    /// Makes a finished local file (a TUS scratch file, already fsynced by its writer) the bytes of <paramref name="key"/>
    /// with one hard link instead of a copy. A link, not a rename: the source stays intact until its owner deletes it,
    /// so if recording the row fails afterwards (and the key is deleted again) the upload can still be completed
    /// from its scratch file. Returns null when linking is impossible (another filesystem, no hard links): the caller
    /// then copies with <see cref="PutAsync"/>. Repeatable: an existing key is replaced by a fresh link.
    /// </summary>
    /// <param name="knownETag">The quoted MD5 when the caller already hashed the bytes as they were written; else it is computed here.</param>
    public async Task<StoredBytes?> AdoptAsync(string key, string sourcePath, long expectedLength, string? knownETag, CancellationToken cancellationToken)
    {
        var path = PathFor(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (Link(sourcePath, path) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EExist)
            {
                return errno is EXDev or EPerm ? null : throw new IOException($"link {key}: errno {errno}");
            }

            // A retry after a crash: the key already links to an earlier attempt's (identical) bytes; link afresh.
            File.Delete(path);
            if (Link(sourcePath, path) != 0)
            {
                throw new IOException($"link {key}: errno {Marshal.GetLastPInvokeError()}");
            }
        }

        await using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.Read | FileShare.Delete,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            BufferSize = 0,
        });
        if (file.Length != expectedLength)
        {
            throw new IOException($"{key}: {file.Length} bytes stored, {expectedLength} expected");
        }

        if (knownETag is not null)
        {
            return new StoredBytes(expectedLength, knownETag);
        }

        // The ETag is the MD5 of the bytes, as for every other write (clients compare it with S3's single-part ETags).
        using var hashing = new HashingReadStream(file);
        var buffer = ArrayPool<byte>.Shared.Rent(HashBufferSize);
        try
        {
            while (await hashing.ReadAsync(buffer, cancellationToken) > 0)
            {
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return new StoredBytes(hashing.BytesRead, hashing.QuotedETag());
    }

    // link(2); DllImport rather than LibraryImport because the Edge project does not allow unsafe code.
    [DllImport("libc", EntryPoint = "link", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int Link(string existingPath, string newPath);
}
