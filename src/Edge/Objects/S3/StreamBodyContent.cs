using System.Buffers;
using System.Net;

namespace MadBase.Edge.Objects.S3;

/// <summary>
/// Exactly <c>length</c> bytes of a caller's stream as a request body: sent with a Content-Length (S3 refuses
/// chunked transfer encoding without aws-chunked framing), through one pooled 64 KiB buffer (below the large-object
/// heap), and never disposed: the stream is the caller's. If the handler has to send it again (a pooled connection
/// found closed), a seekable source is rewound; a source that cannot seek fails instead of sending short bytes.
/// </summary>
internal sealed class StreamBodyContent : HttpContent
{
    private const int BufferSize = 64 * 1024;
    private readonly Stream _source;
    private readonly long _length;
    private readonly long _start;
    private bool _started;

    public StreamBodyContent(Stream source, long length)
    {
        _source = source;
        _length = length;
        _start = source.CanSeek ? source.Position : -1;
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        if (_started)
        {
            if (_start < 0)
            {
                throw new IOException("the request body cannot be sent again: its source is not seekable");
            }

            _source.Position = _start;
        }

        _started = true;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            var left = _length;
            while (left > 0)
            {
                var n = await _source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(BufferSize, left)), cancellationToken);
                if (n == 0)
                {
                    throw new IOException($"the request body ended {left} bytes before its declared length of {_length}");
                }

                await stream.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                left -= n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _length;
        return true;
    }
}
