using System.IO.Hashing;
using MadBase.Edge.Objects;

namespace MadBase.Edge.Tus;

/// <summary>
/// Counts and CRC-32s what is read through it (like <see cref="HashingReadStream"/> with MD5), so an S3 part is proven
/// by the bytes it was sent with, in the same pass (a read of its own cost one more pass over the part, about a tenth
/// of an S3 upload's server CPU). Unlike the other read wrappers it can be rewound to where it started, because the
/// HTTP client sends a body again that way; the CRC then starts again. Any other seek is refused: the CRC would no
/// longer be that of one pass from the start.
/// </summary>
internal sealed class CrcReadStream(Stream inner) : ReadOnlyWrapperStream(inner, leaveOpen: true)
{
    private readonly long _start = inner.Position;
    private Crc32 _crc = new();

    /// <summary>Bytes read since the start (or the last rewind to it).</summary>
    public long BytesRead { get; private set; }

    /// <summary>The CRC-32 of the <see cref="BytesRead"/> bytes.</summary>
    public uint Crc => _crc.GetCurrentHashAsUInt32();

    public override bool CanSeek => Inner.CanSeek;

    public override long Length => Inner.Length;

    public override long Position
    {
        get => Inner.Position;
        set
        {
            if (value != _start)
            {
                throw new NotSupportedException("only a rewind to the start keeps the CRC of what is read");
            }

            Inner.Position = value;
            _crc = new Crc32();
            BytesRead = 0;
        }
    }

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

    public override int Read(Span<byte> buffer)
    {
        var n = Inner.Read(buffer);
        Observe(buffer[..n]);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await Inner.ReadAsync(buffer, cancellationToken);
        Observe(buffer.Span[..n]);
        return n;
    }

    private void Observe(ReadOnlySpan<byte> data)
    {
        _crc.Append(data);
        BytesRead += data.Length;
    }
}
