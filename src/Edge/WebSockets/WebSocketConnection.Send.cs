using System.Buffers;
using MadBase.Edge.Logging;
using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.WebSockets;

internal sealed partial class WebSocketConnection
{
    /// <summary>
    /// Size of one coalesced socket write. Many small frames (fan-out under backlog) become one write, which is
    /// what brings the per-delivery cost from ~10 µs to ~1 µs on loopback (ws-fanout-anchors.md); 64 KiB matches
    /// Kestrel's default output buffer, beyond which the write would wait for the socket anyway.
    /// </summary>
    private const int WriteChunkBytes = 64 * 1024;

    private byte[]? _closeFrame;
    private int _closeSent;
    private int _closeReceived;
    private int _discardBacklog;

    /// <summary>
    /// Starts the closing handshake: no more frames are accepted, the writer sends what is queued, then the Close
    /// frame. Idempotent; the first code wins. Thread-safe (called by the reader, the idle sweeper, shutdown and
    /// the back-pressure check).
    /// </summary>
    public void Close(ushort code, string reason, bool echoEmpty = false, bool discardBacklog = false)
    {
        if (Interlocked.Exchange(ref _closeSent, 1) == 1)
        {
            return;
        }

        Volatile.Write(ref _closeFrame, echoEmpty ? WebSocketFrames.EmptyClose : WebSocketFrames.Close(code, reason));
        if (discardBacklog)
        {
            Volatile.Write(ref _discardBacklog, 1);
        }

        Outbound.Complete();
        if (Volatile.Read(ref _closeReceived) == 0)
        {
            // Bound the wait for the peer's Close (RFC 6455 §7.1.1: the server should close TCP first after it).
            try
            {
                _readCancellation.CancelAfter(_limits.CloseHandshakeTimeout + _limits.CloseHandshakeTimeout);
            }
            catch (ObjectDisposedException)
            {
                // The connection already finished.
            }
        }
    }

    private void OnOutboundOverflow(OutboundQueue queue)
    {
        _metrics.SlowClientCloses.Increment();
        Log.SlowClientClosed(_logger, queue.Dropped, _limits.OutboundFullGrace.TotalMilliseconds);

        // The queued backlog is what the client cannot take: skip it so the Close frame goes out next.
        Close(WebSocketCloseStatus.PolicyViolation, "outbound queue overflow", discardBacklog: true);
    }

    private async Task WriteLoopAsync()
    {
        var reader = Outbound.Reader;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                if (Volatile.Read(ref _discardBacklog) == 1)
                {
                    while (reader.TryRead(out _))
                    {
                    }

                    continue;
                }

                await WriteBatchAsync(reader);
                Outbound.MarkDrained();
            }

            if (Volatile.Read(ref _closeFrame) is { } close)
            {
                await _stream.WriteAsync(close);
                await _stream.FlushAsync();
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The peer is gone; the read loop sees the same and ends the connection.
            Log.WebSocketWriteFailed(_logger, ex.Message);
            _abort();
        }
    }

    /// <summary>Copies every frame available right now into pooled chunks and writes each chunk once.</summary>
    private async ValueTask WriteBatchAsync(System.Threading.Channels.ChannelReader<OutboundFrame> reader)
    {
        var chunk = ArrayPool<byte>.Shared.Rent(WriteChunkBytes);
        try
        {
            var used = 0;
            var frames = 0;
            var bytes = 0L;
            while (reader.TryRead(out var frame))
            {
                frames++;
                bytes += frame.Length;
                if (frame.Length > chunk.Length - used)
                {
                    if (used > 0)
                    {
                        await _stream.WriteAsync(chunk.AsMemory(0, used));
                        used = 0;
                    }

                    if (frame.Length > chunk.Length)
                    {
                        // Larger than a chunk (big broadcast or change): write its pieces as they are.
                        await _stream.WriteAsync(frame.Head);
                        await _stream.WriteAsync(frame.Body);
                        await _stream.WriteAsync(frame.Tail);
                        continue;
                    }
                }

                frame.Head.Span.CopyTo(chunk.AsSpan(used));
                used += frame.Head.Length;
                frame.Body.Span.CopyTo(chunk.AsSpan(used));
                used += frame.Body.Length;
                frame.Tail.Span.CopyTo(chunk.AsSpan(used));
                used += frame.Tail.Length;
            }

            if (used > 0)
            {
                await _stream.WriteAsync(chunk.AsMemory(0, used));
            }

            await _stream.FlushAsync();
            _metrics.FramesSent.Add(frames);
            _metrics.BytesSent.Add(bytes);
            _metrics.SocketWrites.Increment();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}
