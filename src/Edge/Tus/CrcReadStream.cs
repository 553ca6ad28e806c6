using System.IO.Hashing;

namespace MadBase.Edge.Tus;

/// <summary>
/// A read-only pass-through that keeps the CRC-32 of the bytes read through it, so an S3 part is proven by the bytes
/// it was sent with, in the same pass (a read of its own cost one more pass over the part, about a tenth of an S3
/// upload's server CPU). A rewind to the start (the HTTP client sending the body again) starts the CRC again; any other
/// seek is refused, since the CRC would then no longer be that of one pass from the start.
/// </summary>
internal sealed class CrcReadStream(Stream inner) : Stream
{
    private readonly long _start = inner.Position;
    private Crc32 _crc = new();

    /// <summary>Bytes read since the start (or the last rewind to it).</summary>
    public long BytesRead { get; private set; }

    /// <summary>The CRC-32 of the <see cref="BytesRead"/> bytes.</summary>
    public uint Crc => _crc.GetCurrentHashAsUInt32();

    public override bool CanRead => true;

    public override bool CanSeek => inner.CanSeek;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set
        {
            if (value != _start)
            {
                throw new NotSupportedException("only a rewind to the start keeps the CRC of what is read");
            }

            inner.Position = value;
            _crc = new Crc32();
            BytesRead = 0;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        Count(buffer[..n]);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken);
        Count(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => Position + offset,
            _ => Length + offset,
        };
        return Position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private void Count(ReadOnlySpan<byte> read)
    {
        _crc.Append(read);
        BytesRead += read.Length;
    }
}
