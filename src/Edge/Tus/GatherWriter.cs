using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace MadBase.Edge.Tus;

/// <summary>
/// Writes a <see cref="ReadOnlySequence{T}"/> of Kestrel's pipe segments at a file offset with one <c>pwritev</c> per
/// batch of up to <see cref="MaxVectors"/> segments, reusing its iovec and pin arrays for the whole request.
/// <see cref="RandomAccess.Write(SafeFileHandle, IReadOnlyList{ReadOnlyMemory{byte}}, long)"/> does the same syscall
/// but allocates a pin array and an iovec array on every call (~2.6 KB per 256 KiB written, ~2 MB per 200 MiB
/// upload), which is most of a PATCH's garbage. Each segment is pinned with a <see cref="GCHandle"/> only for the
/// syscall. Segments that are not arrays, other systems and short writes take the plain RandomAccess route. The
/// arrays are per thread: <see cref="Write"/> is synchronous, so a thread's instance is never used twice at once.
/// </summary>
internal sealed class GatherWriter
{
    /// <summary>Kestrel's blocks are 4 KiB: 256 vectors cover a full 1 MiB request buffer, well under IOV_MAX (1024).</summary>
    public const int MaxVectors = 256;

    private readonly IoVector[] _vectors = new IoVector[MaxVectors];
    private readonly GCHandle[] _pins = new GCHandle[MaxVectors];
    private readonly ReadOnlyMemory<byte>[] _segments = new ReadOnlyMemory<byte>[MaxVectors];
    private int _count;

    [ThreadStatic]
    private static GatherWriter? t_writer;

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="fileOffset"/>; throws on failure.</summary>
    public static void Write(SafeFileHandle file, in ReadOnlySequence<byte> data, long fileOffset) =>
        (t_writer ??= new GatherWriter()).WriteAll(file, data, fileOffset);

    private void WriteAll(SafeFileHandle file, in ReadOnlySequence<byte> data, long fileOffset)
    {
        if (!OperatingSystem.IsLinux())
        {
            foreach (var segment in data)
            {
                RandomAccess.Write(file, segment.Span, fileOffset);
                fileOffset += segment.Length;
            }

            return;
        }

        long batchOffset = fileOffset;
        long batchBytes = 0;
        foreach (var segment in data)
        {
            if (segment.IsEmpty)
            {
                continue;
            }

            if (!MemoryMarshal.TryGetArray(segment, out var array) || _count == MaxVectors)
            {
                Flush(file, batchOffset, batchBytes);
                batchOffset += batchBytes;
                batchBytes = 0;
                if (array.Array is null)
                {
                    RandomAccess.Write(file, segment.Span, batchOffset);
                    batchOffset += segment.Length;
                    continue;
                }
            }

            var pin = GCHandle.Alloc(array.Array, GCHandleType.Pinned);
            _pins[_count] = pin;
            _segments[_count] = segment;
            _vectors[_count] = new IoVector(pin.AddrOfPinnedObject() + array.Offset, (nuint)array.Count);
            _count++;
            batchBytes += segment.Length;
        }

        Flush(file, batchOffset, batchBytes);
    }

    /// <summary>One pwritev for the batch; unpins it whatever happens.</summary>
    private void Flush(SafeFileHandle file, long fileOffset, long bytes)
    {
        if (_count == 0)
        {
            return;
        }

        try
        {
            long done;
            while ((done = PWriteV(file, _vectors, _count, fileOffset)) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != EIntr)
                {
                    throw new IOException($"pwritev to a scratch file failed: errno {errno}", errno); // HResult = errno, as .NET's own IOExceptions on Unix
                }
            }

            // Regular files do not write short except on errors such as a full disk: finish (or fail) plainly.
            for (var i = 0; i < _count && done < bytes; i++)
            {
                var segment = _segments[i];
                if (done >= segment.Length)
                {
                    done -= segment.Length;
                    bytes -= segment.Length;
                    fileOffset += segment.Length;
                    continue;
                }

                RandomAccess.Write(file, segment.Span[(int)done..], fileOffset + done);
                bytes -= segment.Length;
                fileOffset += segment.Length;
                done = 0;
            }
        }
        finally
        {
            for (var i = 0; i < _count; i++)
            {
                _pins[i].Free();
                _segments[i] = default;
            }

            _count = 0;
        }
    }

    private const int EIntr = 4;

    [StructLayout(LayoutKind.Sequential)]
    private readonly struct IoVector(IntPtr @base, nuint length)
    {
        public readonly IntPtr Base = @base;
        public readonly nuint Length = length;
    }

    // ssize_t pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset); off_t is 64-bit on LP64 Linux.
    // The array is blittable: pinned for the call, not copied. DllImport: the Edge project does not allow unsafe code.
    [DllImport("libc", EntryPoint = "pwritev", SetLastError = true)]
    private static extern long PWriteV(SafeFileHandle fd, [In] IoVector[] iov, int iovcnt, long offset);
}
