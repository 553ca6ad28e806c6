using System.Buffers.Binary;
using System.Text;

namespace MadBase.Protocol.Replication;

/// <summary>
/// Forward-only big-endian reader over one pgoutput message. Running out of bytes throws
/// <see cref="PgOutputError.Truncated"/>: the payload is always a whole message, so a short read means a cut.
/// </summary>
internal ref struct PgOutputReader
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public PgOutputReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _buffer.Length - _position;

    public byte ReadByte()
    {
        Ensure(1);
        return _buffer[_position++];
    }

    public short ReadInt16()
    {
        Ensure(2);
        var value = BinaryPrimitives.ReadInt16BigEndian(_buffer[_position..]);
        _position += 2;
        return value;
    }

    public int ReadInt32()
    {
        Ensure(4);
        var value = BinaryPrimitives.ReadInt32BigEndian(_buffer[_position..]);
        _position += 4;
        return value;
    }

    /// <summary>OIDs and xids are unsigned 32-bit on the server.</summary>
    public uint ReadUInt32()
    {
        Ensure(4);
        var value = BinaryPrimitives.ReadUInt32BigEndian(_buffer[_position..]);
        _position += 4;
        return value;
    }

    public long ReadInt64()
    {
        Ensure(8);
        var value = BinaryPrimitives.ReadInt64BigEndian(_buffer[_position..]);
        _position += 8;
        return value;
    }

    /// <summary>LSNs are unsigned 64-bit.</summary>
    public ulong ReadUInt64()
    {
        Ensure(8);
        var value = BinaryPrimitives.ReadUInt64BigEndian(_buffer[_position..]);
        _position += 8;
        return value;
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        Ensure(count);
        var value = _buffer.Slice(_position, count);
        _position += count;
        return value;
    }

    /// <summary>
    /// A NUL-terminated string, returned without its terminator. A missing NUL means the payload was cut inside the
    /// string, which is reported as <see cref="PgOutputError.Truncated"/> like every other cut.
    /// </summary>
    public ReadOnlySpan<byte> ReadCString()
    {
        var rest = _buffer[_position..];
        var nul = rest.IndexOf((byte)0);
        if (nul < 0)
        {
            PgOutputThrow.MissingTerminator();
        }

        _position += nul + 1;
        return rest[..nul];
    }

    /// <summary>A NUL-terminated identifier decoded strictly as UTF-8 (Npgsql asks for client_encoding=UTF8). Allocates.</summary>
    public string ReadIdentifier(string field)
    {
        var bytes = ReadCString();
        return DecodeUtf8(bytes, field);
    }

    /// <summary>The bytes read since <paramref name="start"/> (a former <see cref="Position"/>).</summary>
    public readonly ReadOnlySpan<byte> Since(int start) => _buffer[start.._position];

    /// <summary>Throws <see cref="PgOutputError.TrailingBytes"/> unless the whole message was consumed.</summary>
    public readonly void EnsureEnd(byte kind)
    {
        if (_position != _buffer.Length)
        {
            PgOutputThrow.TrailingBytes(kind, _buffer.Length - _position);
        }
    }

    public static string DecodeUtf8(ReadOnlySpan<byte> bytes, string field)
    {
        try
        {
            return s_strictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            PgOutputThrow.InvalidString(field);
            return string.Empty;
        }
    }

    private readonly void Ensure(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _position))
        {
            PgOutputThrow.Truncated(count, _buffer.Length - _position);
        }
    }
}
