using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace MadBase.Edge.Cluster;

/// <summary>
/// The byte layout of every message edge nodes exchange on NATS: a sequence of fields, each a 32-bit big-endian
/// length followed by that many bytes, or a fixed-size integer. Readers of a different version fail with
/// <see cref="InvalidDataException"/> rather than guessing (nodes of one cluster run one version).
/// </summary>
internal ref struct ClusterWireReader(ReadOnlySpan<byte> message)
{
    private ReadOnlySpan<byte> _rest = message;

    public readonly bool IsEmpty => _rest.IsEmpty;

    /// <summary>The bytes not read yet.</summary>
    public readonly ReadOnlySpan<byte> Rest => _rest;

    public byte Byte()
    {
        Need(1);
        var value = _rest[0];
        _rest = _rest[1..];
        return value;
    }

    public long Int64()
    {
        Need(8);
        var value = BinaryPrimitives.ReadInt64BigEndian(_rest);
        _rest = _rest[8..];
        return value;
    }

    public int Int32()
    {
        Need(4);
        var value = BinaryPrimitives.ReadInt32BigEndian(_rest);
        _rest = _rest[4..];
        return value;
    }

    public ReadOnlySpan<byte> Bytes()
    {
        var length = Int32();
        if (length < 0)
        {
            throw new InvalidDataException("negative field length");
        }

        Need(length);
        var value = _rest[..length];
        _rest = _rest[length..];
        return value;
    }

    public string String() => Encoding.UTF8.GetString(Bytes());

    private readonly void Need(int bytes)
    {
        if (_rest.Length < bytes)
        {
            throw new InvalidDataException("cluster message is truncated");
        }
    }
}

/// <summary>Writes the layout <see cref="ClusterWireReader"/> reads.</summary>
internal sealed class ClusterWireWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public ClusterWireWriter Byte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
        return this;
    }

    public ClusterWireWriter Int64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
        return this;
    }

    public ClusterWireWriter Int32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
        return this;
    }

    public ClusterWireWriter Bytes(ReadOnlySpan<byte> value)
    {
        Int32(value.Length);
        _buffer.Write(value);
        return this;
    }

    public ClusterWireWriter String(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        Int32(length);
        Encoding.UTF8.GetBytes(value, _buffer.GetSpan(length));
        _buffer.Advance(length);
        return this;
    }

    /// <summary>Appends what <paramref name="other"/> wrote, as it is (no length).</summary>
    public ClusterWireWriter Raw(ClusterWireWriter other)
    {
        _buffer.Write(other._buffer.WrittenSpan);
        return this;
    }

    /// <summary>Appends <paramref name="bytes"/> as they are (no length).</summary>
    public ClusterWireWriter Raw(ReadOnlySpan<byte> bytes)
    {
        _buffer.Write(bytes);
        return this;
    }

    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
}
