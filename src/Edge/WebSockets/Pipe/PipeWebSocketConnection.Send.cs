using System.Buffers;
using System.Threading.Tasks.Sources;
using Microsoft.AspNetCore.Connections;

namespace MadBase.Edge.WebSockets.Pipe;

/// <summary>
/// The write side: one long-running async loop that takes the core's steps (<see cref="WebSocketConnection.NextWrite"/>)
/// and, when there is nothing to write, awaits the queue's wake-up on this connection itself (a reusable
/// <see cref="IValueTaskSource"/>: an idle socket's writer holds no task or timer).
/// </summary>
internal sealed partial class PipeWebSocketConnection
{
    /// <summary>
    /// Bytes written between flushes. Many small frames (fan-out under backlog) become one socket write, which is
    /// what brings the per-delivery cost from ~10 µs to ~1 µs on loopback
    /// (docs/performance-anchors.md §Write coalescing); 64 KiB matches Kestrel's default output buffer, beyond which
    /// the flush would wait for the socket anyway.
    /// </summary>
    private const int WriteChunkBytes = 64 * 1024;

    /// <summary>Frames up to this size are copied into a span from <c>GetSpan</c>: it fits a Kestrel pipe block (4 KiB).</summary>
    private const int SingleSpanFrameBytes = 4000;

    /// <summary>Completed by the queue's wake-up; continuations run on the thread pool, never inside a producer.</summary>
    private ManualResetValueTaskSourceCore<bool> _wake = new() { RunContinuationsAsynchronously = true };

    private async Task WriteLoopAsync()
    {
        try
        {
            while (true)
            {
                // Reset before the core may arm the queue: a wake-up only ever follows an arm, so none is lost.
                _wake.Reset();
                switch (NextWrite(out var batch, out var count))
                {
                    case WriteStep.Idle:
                        await new ValueTask(this, _wake.Version);
                        break;
                    case WriteStep.Frames:
                        var open = await WriteBatchAsync(batch, count);
                        EndBatch(batch, count, flushed: open);
                        if (!open)
                        {
                            _abort(); // the transport no longer takes bytes: the peer is gone
                            return;
                        }

                        break;
                    case WriteStep.CloseFrame:
                        _writer.Write(CloseFrame!);
                        await _writer.FlushAsync();
                        OnCloseFrameWritten(); // the read loop's end (the peer's Close, or the deadline) closes TCP
                        return;
                    default:
                        return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException or ConnectionAbortedException)
        {
            // The peer is gone; the read loop sees the same and ends the connection.
            Log.WebSocketWriteFailed(Logger, ex.Message);
            _abort();
        }
    }

    protected override void WakeWriter() => _wake.SetResult(true);

    void IValueTaskSource.GetResult(short token) => _wake.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _wake.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _wake.OnCompleted(continuation, state, token, flags);

    /// <summary>
    /// Copies a batch of frames into the output pipe and flushes once per <see cref="WriteChunkBytes"/> (and at the
    /// end), so a backlog of small frames leaves in few socket writes. The pipe's own blocks are the only copy:
    /// Kestrel's transport sends them with one gathered write per flush.
    /// </summary>
    /// <returns>False when the transport stopped taking bytes.</returns>
    private async ValueTask<bool> WriteBatchAsync(OutboundFrame[] batch, int count)
    {
        var bytes = 0L;
        var next = 0;
        while (next < count)
        {
            next = CopyFrames(batch, next, count, ref bytes);
            if (!await FlushAsync())
            {
                return false;
            }
        }

        Metrics.FramesSent.Add(count);
        Metrics.BytesSent.Add(bytes);
        return true;
    }

    /// <summary>
    /// Copies frames from <paramref name="from"/> on until <see cref="WriteChunkBytes"/> are buffered or the batch
    /// ends; returns the index after the last frame copied. Small frames are packed into each span the pipe hands
    /// out (one <c>GetSpan</c> per pipe block, not per frame); a frame larger than a block goes through the pipe's
    /// own multi-block write.
    /// </summary>
    private int CopyFrames(OutboundFrame[] batch, int from, int count, ref long bytes)
    {
        var span = Span<byte>.Empty;
        var used = 0;
        var buffered = 0;
        var i = from;
        for (; i < count && buffered < WriteChunkBytes; i++)
        {
            var frame = batch[i].Bytes;
            buffered += frame.Length;
            if (frame.Length > span.Length - used)
            {
                if (used > 0)
                {
                    _writer.Advance(used);
                    used = 0;
                }

                if (frame.Length > SingleSpanFrameBytes)
                {
                    span = Span<byte>.Empty;
                    _writer.Write(frame);
                    continue;
                }

                span = _writer.GetSpan(frame.Length);
            }

            frame.CopyTo(span[used..]);
            used += frame.Length;
        }

        if (used > 0)
        {
            _writer.Advance(used);
        }

        bytes += buffered;
        return i;
    }

    private async ValueTask<bool> FlushAsync()
    {
        var result = await _writer.FlushAsync();
        Metrics.SocketWrites.Increment();
        return !result.IsCompleted && !result.IsCanceled;
    }
}
