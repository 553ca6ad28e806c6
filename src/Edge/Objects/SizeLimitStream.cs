namespace MadBase.Edge.Objects;

/// <summary>
/// Fails the read that would pass <paramref name="maxBytes"/> with a 413 <see cref="StorageException"/>: limits are
/// enforced while streaming, so chunked bodies without Content-Length cannot slip past them.
/// </summary>
internal sealed class SizeLimitStream(Stream inner, long maxBytes) : ObservingReadStream(inner)
{
    protected override void Observe(ReadOnlySpan<byte> data)
    {
        if (BytesRead > maxBytes)
        {
            throw StorageException.EntityTooLarge();
        }
    }
}
