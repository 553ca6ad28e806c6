using System.IO.Pipelines;

namespace MadBase.Edge.StorageApi;

/// <summary>
/// Streams a download's bytes into the response's <see cref="PipeWriter"/>: each read lands directly in the memory
/// Kestrel sends from, so a byte is copied once in this process (store → output pipe) instead of twice (store → copy
/// buffer → output pipe). For a file-backend object the read is a <c>pread</c> on this thread (FileRegionStream), so
/// the loop is one positional read and one flush per <see cref="ChunkSize"/>.
/// </summary>
internal static class ResponseBodyCopy
{
    /// <summary>
    /// Per read and per flush. On the epoll transport a connection holds up to 512 KiB unsent
    /// (<c>HttpMemoryPool.MaxWriteBufferSize</c>), so a few chunks are on their way while the next is read; 128 KiB
    /// measured better than 64 KiB for 1 MiB and 100 MiB downloads (load/README.md, "storage-download"). A hint above
    /// the transport's 32 KiB blocks makes the pipe rent the chunk from the shared array pool.
    /// </summary>
    private const int ChunkSize = 128 * 1024;

    /// <summary>Copies <paramref name="source"/> to its end, or until the connection is gone; the bytes copied.</summary>
    public static async Task<long> CopyAsync(Stream source, PipeWriter destination, CancellationToken cancellationToken)
    {
        long copied = 0;
        while (true)
        {
            var memory = destination.GetMemory(ChunkSize);
            var read = await source.ReadAsync(memory, cancellationToken);
            if (read == 0)
            {
                return copied;
            }

            destination.Advance(read);
            copied += read;
            var flush = await destination.FlushAsync(cancellationToken);
            if (flush.IsCompleted || flush.IsCanceled)
            {
                // The connection is gone: Kestrel ends it as short of its Content-Length, as for any aborted response.
                return copied;
            }
        }
    }
}
