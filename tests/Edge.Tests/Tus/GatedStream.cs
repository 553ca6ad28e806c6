namespace MadBase.Edge.Tests.Tus;

/// <summary>
/// A request body that sends <c>head</c>, then stalls until <c>gate</c> completes (or, with <c>failAfterGate</c>,
/// throws so the connection breaks mid-body) — a PATCH that is provably in flight.
/// </summary>
internal sealed class GatedStream(byte[] head, Task gate, bool failAfterGate = false) : Stream
{
    private int _position;

    public int Sent => _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position < head.Length)
        {
            var n = Math.Min(buffer.Length, head.Length - _position);
            head.AsMemory(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        await gate.WaitAsync(cancellationToken);
        return failAfterGate ? throw new IOException("body broken on purpose") : 0;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
