namespace MadBase.Edge.Objects;

/// <summary>
/// Base for the read wrappers that look at every byte read through them in the same pass as the copy (a hash, a CRC,
/// a size limit): counts the bytes and hands each read's bytes to <see cref="Observe"/>, so no wrapper reads twice.
/// </summary>
internal abstract class ObservingReadStream(Stream inner) : ReadOnlyWrapperStream(inner, leaveOpen: true)
{
    /// <summary>Bytes read through this stream (since the last <see cref="RestartCount"/>).</summary>
    public long BytesRead { get; private set; }

    public sealed override int Read(Span<byte> buffer)
    {
        var n = Inner.Read(buffer);
        Counted(buffer[..n]);
        return n;
    }

    public sealed override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await Inner.ReadAsync(buffer, cancellationToken);
        Counted(buffer.Span[..n]);
        return n;
    }

    /// <summary>Called after each read with its bytes; <see cref="BytesRead"/> already includes them.</summary>
    protected abstract void Observe(ReadOnlySpan<byte> data);

    protected void RestartCount() => BytesRead = 0;

    private void Counted(ReadOnlySpan<byte> data)
    {
        BytesRead += data.Length;
        Observe(data);
    }
}
