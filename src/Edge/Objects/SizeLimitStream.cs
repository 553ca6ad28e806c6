namespace MadBase.Edge.Objects;

/// <summary>
/// Fails the read that would pass <paramref name="maxBytes"/> with a 413 <see cref="StorageException"/>: limits are
/// enforced while streaming, so chunked bodies without Content-Length cannot slip past them.
/// </summary>
internal sealed class SizeLimitStream(Stream inner, long maxBytes) : ReadOnlyWrapperStream(inner, leaveOpen: true)
{
    private long _read;

    public override int Read(Span<byte> buffer) => Check(Inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Check(await Inner.ReadAsync(buffer, cancellationToken));

    private int Check(int n)
    {
        _read += n;
        if (_read > maxBytes)
        {
            throw StorageException.EntityTooLarge();
        }

        return n;
    }
}
