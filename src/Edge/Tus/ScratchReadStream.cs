using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace MadBase.Edge.Tus;

/// <summary>
/// A read-only, seekable view of one or more scratch files laid end to end (a concatenated upload is its partial
/// uploads' files in order), optionally cut to a window. Reads are positional (<see cref="RandomAccess.Read(SafeFileHandle, Span{byte}, long)"/>),
/// so several part streams can read the same handles concurrently. Seekable matters: the S3 client rewinds a part's
/// body to send it again when a pooled connection turned out closed (<c>Objects/S3/StreamBodyContent</c>). Small reads
/// are served from a pooled <see cref="ReadAheadSize"/> window (rented on the first small read, returned on dispose), so
/// a reader that asks 4 KiB at a time does not cost a <c>pread</c> each.
/// </summary>
internal sealed class ScratchReadStream : Stream
{
    /// <summary>Reads shorter than this fill the window first; below the large-object heap threshold.</summary>
    public const int ReadAheadSize = 64 * 1024;

    private readonly IReadOnlyList<(SafeFileHandle Handle, long Length)> _segments;
    private readonly long _start;
    private readonly long _length;
    private long _position;
    private byte[]? _window;
    private long _windowStart; // stream position of _window[0]
    private int _windowLength;

    public ScratchReadStream(IReadOnlyList<(SafeFileHandle Handle, long Length)> segments, long start, long length)
    {
        _segments = segments;
        _start = start;
        _length = length;
    }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => _position = Math.Clamp(value, 0, _length);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var remaining = _length - _position;
        if (remaining <= 0 || buffer.IsEmpty)
        {
            return 0;
        }

        if (buffer.Length > remaining)
        {
            buffer = buffer[..(int)remaining];
        }

        if (buffer.Length >= ReadAheadSize)
        {
            var direct = ReadAt(_position, buffer);
            _position += direct;
            return direct;
        }

        var inWindow = _position - _windowStart;
        if (_window is null || inWindow < 0 || inWindow >= _windowLength)
        {
            _window ??= ArrayPool<byte>.Shared.Rent(ReadAheadSize);
            _windowStart = _position;
            _windowLength = ReadAt(_position, _window.AsSpan(0, (int)Math.Min(ReadAheadSize, remaining)));
            inWindow = 0;
        }

        var n = Math.Min(buffer.Length, _windowLength - (int)inWindow);
        _window.AsSpan((int)inWindow, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    /// <summary>One positional read at stream position <paramref name="position"/>, at most to the end of its segment (0 past the last).</summary>
    private int ReadAt(long position, Span<byte> buffer)
    {
        // Find the segment holding the absolute position, then read at most to its end.
        var absolute = _start + position;
        foreach (var (handle, length) in _segments)
        {
            if (absolute < length)
            {
                var n = RandomAccess.Read(handle, buffer[..(int)Math.Min(buffer.Length, length - absolute)], absolute);
                if (n == 0)
                {
                    throw new EndOfStreamException("a scratch file is shorter than its recorded offset");
                }

                return n;
            }

            absolute -= length;
        }

        return 0;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => _length + offset,
    };

    public override void Flush()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _window is not null)
        {
            ArrayPool<byte>.Shared.Return(_window);
            _window = null;
            _windowLength = 0;
        }

        base.Dispose(disposing);
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
