using System.IO.Hashing;
using System.IO.Pipelines;
using Microsoft.Win32.SafeHandles;

namespace MadBase.Edge.Tus;

/// <summary>How a PATCH body ended: bytes written at the offset, and whether the body overran its limit or broke off.</summary>
internal readonly record struct BodyWriteResult(long Written, bool Exceeded, bool Interrupted);

/// <summary>
/// Streams a request body from Kestrel's <see cref="PipeReader"/> straight into the scratch file at the upload's
/// offset. Memory is bounded by the pipe itself: up to <see cref="WriteThreshold"/> bytes are left in the pipe
/// (examined, not consumed) and then written with one gathered <c>pwritev</c> over the pipe's own segments
/// (<see cref="GatherWriter"/>, which allocates nothing per write), so
/// nothing is copied into a chunk buffer and no buffer is rented while a slow client trickles bytes. Every
/// <see cref="ScratchSync.WritebackStep"/> bytes it starts the kernel's writeback of what it wrote, so the flush that
/// ends the PATCH finds little left to write. Every byte written also goes into <c>received</c>, the CRC-32 of this
/// PATCH's bytes (<see cref="ReceivedCrc"/>), which the row keeps so completion can prove what it stores.
/// </summary>
internal static class ScratchWriter
{
    /// <summary>Large enough to amortise the syscall, well under Kestrel's 1 MiB request-buffer pause threshold.</summary>
    public const int WriteThreshold = 256 * 1024;

    public static async Task<BodyWriteResult> WriteAsync(
        PipeReader body, SafeFileHandle file, long offset, long maxBytes, ChunkChecksum? checksum, Crc32 received,
        CancellationToken cancellationToken)
    {
        long written = 0;
        long writebackFrom = 0; // bytes below this (relative to offset) have had their writeback started
        while (true)
        {
            ReadResult result;
            try
            {
                result = await body.ReadAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or BadHttpRequestException or OperationCanceledException)
            {
                // The client went away (or sent a broken body): what is already on disk still counts.
                return new BodyWriteResult(written, false, true);
            }

            var buffer = result.Buffer;
            if (buffer.Length < WriteThreshold && !result.IsCompleted && !result.IsCanceled)
            {
                body.AdvanceTo(buffer.Start, buffer.End); // wait for more before paying for a write
                continue;
            }

            var take = Math.Min(buffer.Length, maxBytes - written);
            var exceeded = buffer.Length > take; // read before AdvanceTo: the buffer's segments go back to the pool then
            try
            {
                if (take > 0)
                {
                    var data = buffer.Slice(0, take);
                    foreach (var segment in data)
                    {
                        received.Append(segment.Span);
                        checksum?.Append(segment.Span);
                    }

                    GatherWriter.Write(file, data, offset + written);
                    written += take;
                    if (written - writebackFrom >= ScratchSync.WritebackStep)
                    {
                        ScratchSync.StartWriteback(file, offset + writebackFrom, written - writebackFrom);
                        writebackFrom = written;
                    }
                }
            }
            finally
            {
                // Also when the write failed (a full disk): a reader left mid-read cannot be drained by Kestrel, which
                // then cuts the connection and the client never reads the error answer.
                body.AdvanceTo(buffer.End);
            }

            if (exceeded)
            {
                return new BodyWriteResult(written, true, false);
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                return new BodyWriteResult(written, false, result.IsCanceled);
            }
        }
    }
}
