using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace MadBase.Edge.Tus;

/// <summary>
/// Cheap durability for scratch files. While a PATCH body streams in, <see cref="StartWriteback"/> asks the kernel to
/// begin writing the bytes just written (Linux <c>sync_file_range(SYNC_FILE_RANGE_WRITE)</c>: asynchronous, it
/// neither waits nor makes anything durable), so by the end of the request most of the chunk is already on its way
/// to the disk. <see cref="Flush"/> is then the real barrier: <c>fdatasync</c> (data and the metadata needed to read
/// it back, e.g. the file size; not timestamps), after which the new offset may be stored and reported. Elsewhere
/// (or if a call is unsupported) it falls back to <see cref="RandomAccess.FlushToDisk"/> (fsync) and no early writeback.
/// </summary>
internal static class ScratchSync
{
    /// <summary>Start writeback after this many new bytes: a few syscalls per MiB-sized chunk, the disk kept busy meanwhile.</summary>
    public const long WritebackStep = 2 * 1024 * 1024;

    private const uint SyncFileRangeWrite = 2; // SYNC_FILE_RANGE_WRITE

    private static bool s_writebackUnsupported = !OperatingSystem.IsLinux();
    private static bool s_fdatasyncUnsupported = !OperatingSystem.IsLinux();

    /// <summary>Starts (does not wait for) writeback of <paramref name="count"/> bytes at <paramref name="offset"/>. Best effort.</summary>
    public static void StartWriteback(SafeFileHandle file, long offset, long count)
    {
        if (s_writebackUnsupported || count <= 0)
        {
            return;
        }

        if (SyncFileRange(file, offset, count, SyncFileRangeWrite) != 0 && Marshal.GetLastPInvokeError() is ENoSys or EInval or EOpNotSupp)
        {
            s_writebackUnsupported = true; // e.g. a filesystem or sandbox without it: the final flush does all the work
        }
    }

    /// <summary>Makes every byte written so far durable (fdatasync; fsync where that is unavailable). Throws on failure.</summary>
    public static void Flush(SafeFileHandle file)
    {
        if (!s_fdatasyncUnsupported)
        {
            if (FDataSync(file) == 0)
            {
                return;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno is not (ENoSys or EInval))
            {
                throw new IOException($"fdatasync of a scratch file failed: errno {errno}", errno);
            }

            s_fdatasyncUnsupported = true;
        }

        RandomAccess.FlushToDisk(file);
    }

    private const int EInval = 22;
    private const int ENoSys = 38;
    private const int EOpNotSupp = 95;

    // The fd travels in a full register (LP64 ABIs); the marshaller keeps the SafeFileHandle alive for the call.
    // DllImport rather than LibraryImport because the Edge project does not allow unsafe code.
    [DllImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static extern int SyncFileRange(SafeFileHandle fd, long offset, long nbytes, uint flags);

    [DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static extern int FDataSync(SafeFileHandle fd);
}
