using Microsoft.Win32.SafeHandles;

namespace MadBase.Edge.Objects;

/// <summary>
/// A stored file's bytes <c>[offset, offset + length)</c> for a download, read with positional reads on the calling
/// thread, also from <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>.
/// </summary>
/// <remarks>
/// Why not <see cref="FileStream"/>: on Linux its asynchronous reads are a synchronous <c>pread</c> queued to the
/// thread pool, one hop per read — for a 1 KiB download that hop cost more than the read, and a served file is almost
/// always in the page cache. A read that does go to the disk holds this thread for it, as nginx's reads do without
/// its aio threads. Owns the handle; an object overwritten meanwhile keeps its old bytes readable (the name is unlinked,
/// the open file is not).
/// </remarks>
internal sealed class FileRegionStream(SafeFileHandle handle, long start, long length) : Stream
{
    private readonly long _start = start;
    private readonly long _end = start + length;
    private long _position = start;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => _end - _start;

    public override long Position
    {
        get => _position - _start;
        set => throw new NotSupportedException();
    }

    public override int Read(Span<byte> buffer)
    {
        var wanted = (int)Math.Min(buffer.Length, _end - _position);
        if (wanted <= 0)
        {
            return 0;
        }

        var n = RandomAccess.Read(handle, buffer[..wanted], _position);
        _position += n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            handle.Dispose();
        }

        base.Dispose(disposing);
    }
}
