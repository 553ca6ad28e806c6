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
internal sealed class CrcReadStream(Stream inner) : ObservingReadStream(inner)
{
    private readonly long _start = inner.Position;
    private Crc32 _crc = new();

    /// <summary>The CRC-32 of the bytes read since the start (or the last rewind to it): <see cref="ObservingReadStream.BytesRead"/> of them.</summary>
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
            RestartCount();
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

    protected override void Observe(ReadOnlySpan<byte> data) => _crc.Append(data);
}
