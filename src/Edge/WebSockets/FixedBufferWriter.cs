using System.Buffers;

namespace MadBase.Edge.WebSockets;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over a pre-sized array, for frames whose exact length is known up front (the
/// Phoenix writer reports lengths before writing). Never grows: overrunning the size is a bug and throws.
/// </summary>
internal sealed class FixedBufferWriter(byte[] buffer, int start) : IBufferWriter<byte>
{
    private int _position = start;

    public int Position => _position;

    public void Advance(int count) => _position += count;

    public Memory<byte> GetMemory(int sizeHint = 0) => buffer.AsMemory(_position);

    public Span<byte> GetSpan(int sizeHint = 0) => buffer.AsSpan(_position);
}
