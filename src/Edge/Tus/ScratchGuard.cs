using System.Buffers;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;

namespace MadBase.Edge.Tus;

/// <summary>
/// The invariant of the upload road: <b>an offset the server reports, or builds an object from, is backed by bytes it
/// really holds and that are the bytes it received.</b> Two checks keep it:
/// <list type="bullet">
/// <item><see cref="Problem"/>, cheap (a <c>statx</c> and a <c>getxattr</c>), before HEAD answers and before a PATCH
/// writes: the scratch file is there, is this upload's own (<see cref="ScratchIdentity"/>) and is at least as long
/// as the offset. A failure means <see cref="UploadRollback"/> moves the offset back to what is held.</item>
/// <item><see cref="VerifyAsync"/>, one read of the file, before completion stores it: the CRC-32 of bytes
/// 0..length equals the CRC the row kept as they were received (<see cref="ReceivedCrc"/>). It catches what the
/// first cannot see, e.g. a file rewritten in place. A failure throws <see cref="UploadBytesLostException"/>.</item>
/// </list>
/// S3 parts are checked by <see cref="ProgressiveParts"/> with the same CRC: they must add up to the received one.
/// </summary>
internal static class ScratchGuard
{
    /// <summary>Reads come from the page cache; larger ones only cost memory per concurrent completion (8 × 1 MiB before).</summary>
    private const int ReadSize = 128 * 1024;

    /// <summary>Why the scratch file cannot back the upload's offset, or null when it can. Only for uploads with a scratch file.</summary>
    public static string? Problem(UploadRecord record, ScratchState state) =>
        !state.Exists ? "the scratch file is missing"
        : record.ScratchIdentity is not null && state.Identity != record.ScratchIdentity ? "the scratch file is not this upload's (replaced or recreated)"
        : state.Size < record.Offset ? $"the scratch file holds {state.Size} bytes, fewer than the {record.Offset} received"
        : null;

    /// <summary>Whether the upload keeps bytes in a scratch file of its own (a final concatenation and a finished upload do not).</summary>
    public static bool HasScratch(UploadRecord record) => !record.IsCompleted && !record.IsFinal && record.Status != UploadStatus.Expired;

    /// <summary>
    /// Reads the fully received upload's scratch file once and checks it against what was received; returns the
    /// CRC-32 of its bytes (what they were proven with). Throws <see cref="UploadBytesLostException"/>.
    /// </summary>
    public static async Task<uint> VerifyAsync(ScratchFiles scratch, UploadRecord source, CancellationToken cancellationToken)
    {
        var length = source.Length ?? source.Offset;
        if (source.ScratchBase > 0)
        {
            throw new UploadBytesLostException(source, $"its first {source.ScratchBase} bytes are only in S3 parts that can no longer be used");
        }

        if (Problem(source, scratch.Inspect(source.Version)) is { } problem)
        {
            throw new UploadBytesLostException(source, problem);
        }

        SafeFileHandle handle;
        try
        {
            handle = scratch.OpenRead(source.Version);
        }
        catch (FileNotFoundException)
        {
            throw new UploadBytesLostException(source, "the scratch file is missing");
        }

        var crc = new Crc32();
        var buffer = ArrayPool<byte>.Shared.Rent(ReadSize);
        try
        {
            using (handle)
            {
                for (long position = 0; position < length;)
                {
                    var n = await RandomAccess.ReadAsync(handle, buffer.AsMemory(0, (int)Math.Min(ReadSize, length - position)), position, cancellationToken);
                    if (n == 0)
                    {
                        throw new UploadBytesLostException(source, $"the scratch file ends at {position} of {length} bytes");
                    }

                    crc.Append(buffer.AsSpan(0, n));
                    position += n;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var actual = crc.GetCurrentHashAsUInt32();
        if (source.ReceivedCrc is { } expected && actual != expected)
        {
            throw new UploadBytesLostException(source, "the scratch file's bytes differ from those received");
        }

        return actual;
    }
}
