namespace MadBase.Edge.Objects;

/// <summary>Reads at most <paramref name="length"/> bytes of <paramref name="inner"/> (a range of a file), then reports end.</summary>
internal sealed class SliceReadStream(Stream inner, long length) : ReadOnlyWrapperStream(inner, leaveOpen: false)
{
    private long _remaining = length;

    public override int Read(Span<byte> buffer)
    {
        if (_remaining <= 0)
        {
            return 0;
        }

        var n = Inner.Read(buffer[..(int)Math.Min(buffer.Length, _remaining)]);
        _remaining -= n;
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_remaining <= 0)
        {
            return 0;
        }

        var n = await Inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _remaining)], cancellationToken);
        _remaining -= n;
        return n;
    }
}
