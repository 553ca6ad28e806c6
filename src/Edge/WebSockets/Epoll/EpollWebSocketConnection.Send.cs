using System.Buffers;
using MadBase.Edge.Logging;

namespace MadBase.Edge.WebSockets.Epoll;

/// <summary>
/// The write side. It runs as a thread-pool work item, queued when the <see cref="OutboundQueue"/> wakes the idle
/// writer, or by the loop when a socket that refused bytes becomes writable again; both only ever queue it when no
/// other run is in progress, so one run at a time owns the write state. What to write comes from the core's steps
/// (<see cref="WebSocketConnection.NextWrite"/>); this file only moves the bytes.
/// </summary>
/// <remarks>
/// A run takes every queued frame at once: one frame is sent straight from its shared array; several are packed into
/// a per-thread 64 KiB buffer and leave in one <c>send</c> per 64 KiB (the write coalescing that makes a backlog
/// cheap, docs/performance-anchors.md §Write coalescing). Bytes the socket does not take are copied to a buffer of this
/// connection's own and the run ends; the loop's EPOLLOUT queues the next run.
/// </remarks>
internal sealed partial class EpollWebSocketConnection : IThreadPoolWorkItem
{
    private const int SendBufferBytes = 64 * 1024;

    [ThreadStatic]
    private static byte[]? t_sendBuffer;

    private byte[]? _unsent;
    private int _unsentOffset;
    private int _unsentEnd;
    private bool _unsentRented;
    private bool _closeFrameQueued;
    private int _writeBlocked;
    private int _writableEpoch;

    private enum SendResult
    {
        Done,
        Blocked,
        Failed,
    }

    void IThreadPoolWorkItem.Execute()
    {
        if (!TryAcquire())
        {
            return;
        }

        try
        {
            WriteLoop();
        }
        catch (Exception ex)
        {
            Log.WebSocketWriteFailed(Logger, ex.Message);
            Finish();
        }
        finally
        {
            Release();
        }
    }

    /// <summary>The queue has something for the idle writer.</summary>
    protected override void WakeWriter() => ScheduleWrite();

    private void ScheduleWrite() => ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);

    /// <summary>The loop saw EPOLLOUT: a run that stopped on a full socket is queued again (once).</summary>
    private void OnWritable()
    {
        Interlocked.Increment(ref _writableEpoch);
        if (Interlocked.Exchange(ref _writeBlocked, 0) == 1)
        {
            ScheduleWrite();
        }
    }

    private void WriteLoop()
    {
        while (true)
        {
            if (_unsent is not null)
            {
                switch (SendUnsent())
                {
                    case SendResult.Blocked:
                        return; // the loop queues the next run when the socket drains
                    case SendResult.Failed:
                        Finish();
                        return;
                }
            }

            if (_closeFrameQueued)
            {
                if (OnCloseFrameWritten())
                {
                    Finish(); // the peer's Close came first: the exchange is over
                }

                return;
            }

            if (HasEnded)
            {
                return;
            }

            switch (NextWrite(out var batch, out var count))
            {
                case WriteStep.Frames:
                    break;
                case WriteStep.CloseFrame:
                    KeepUnsent(CloseFrame!, 0, CloseFrame!.Length);
                    _closeFrameQueued = true;
                    continue;
                default:
                    return; // idle (the queue wakes the next run), or over without a Close
            }

            var open = false;
            try
            {
                open = WriteBatch(batch, count);
            }
            finally
            {
                EndBatch(batch, count, flushed: open && _unsent is null);
            }

            if (!open)
            {
                Finish();
                return;
            }
        }
    }

    /// <summary>Hands a batch to the socket; what it does not take is kept in <see cref="_unsent"/>.</summary>
    /// <returns>False when the socket failed (the peer is gone).</returns>
    private bool WriteBatch(OutboundFrame[] batch, int count)
    {
        Metrics.FramesSent.Add(count);
        if (count == 1)
        {
            var frame = batch[0].Bytes;
            return SendOrKeep(frame, frame.Length, batch, 1, count);
        }

        var buffer = t_sendBuffer ??= GC.AllocateUninitializedArray<byte>(SendBufferBytes);
        var used = 0;
        for (var i = 0; i < count; i++)
        {
            var frame = batch[i].Bytes;
            if (frame.Length > buffer.Length - used)
            {
                if (used > 0 && !SendOrKeep(buffer, used, batch, i, count))
                {
                    return false;
                }

                used = 0;
                if (_unsent is not null)
                {
                    return true;
                }

                if (frame.Length > buffer.Length)
                {
                    if (!SendOrKeep(frame, frame.Length, batch, i + 1, count))
                    {
                        return false;
                    }

                    if (_unsent is not null)
                    {
                        return true;
                    }

                    continue;
                }
            }

            frame.CopyTo(buffer, used);
            used += frame.Length;
        }

        return used == 0 || SendOrKeep(buffer, used, batch, count, count);
    }

    /// <summary>
    /// Sends <paramref name="data"/>[..<paramref name="length"/>]; if the socket takes only part, the rest and the
    /// frames from <paramref name="next"/> on are copied to <see cref="_unsent"/> (the caller stops there).
    /// </summary>
    /// <returns>False when the socket failed.</returns>
    private bool SendOrKeep(byte[] data, int length, OutboundFrame[] batch, int next, int count)
    {
        var sent = LinuxSockets.Send(_fd, data.AsSpan(0, length));
        Metrics.SocketWrites.Increment();
        if (sent < 0 && sent != -LinuxSockets.EAgain)
        {
            return false;
        }

        sent = Math.Max(sent, 0);
        Metrics.BytesSent.Add(sent);
        if (sent == length)
        {
            return true; // the caller goes on with the frames from next on
        }

        var rest = length - sent;
        for (var i = next; i < count; i++)
        {
            rest += batch[i].Length;
        }

        var kept = ArrayPool<byte>.Shared.Rent(rest);
        data.AsSpan(sent, length - sent).CopyTo(kept);
        var offset = length - sent;
        for (var i = next; i < count; i++)
        {
            batch[i].Bytes.CopyTo(kept, offset);
            offset += batch[i].Length;
        }

        KeepUnsent(kept, 0, rest, rented: true);
        return true;
    }

    /// <summary>Sends the kept bytes; on a full socket marks the run blocked so the loop's EPOLLOUT queues the next.</summary>
    private SendResult SendUnsent()
    {
        while (true)
        {
            var epoch = Volatile.Read(ref _writableEpoch);
            var sent = LinuxSockets.Send(_fd, _unsent.AsSpan(_unsentOffset, _unsentEnd - _unsentOffset));
            Metrics.SocketWrites.Increment();
            if (sent > 0)
            {
                Metrics.BytesSent.Add(sent);
                _unsentOffset += sent;
                if (_unsentOffset == _unsentEnd)
                {
                    ReleaseUnsent();
                    return SendResult.Done;
                }

                continue;
            }

            if (sent != -LinuxSockets.EAgain)
            {
                return SendResult.Failed;
            }

            // Blocked, unless the socket drained between the attempt and now and no EPOLLOUT run took that over.
            Interlocked.Exchange(ref _writeBlocked, 1);
            if (Volatile.Read(ref _writableEpoch) == epoch || Interlocked.Exchange(ref _writeBlocked, 0) == 0)
            {
                return SendResult.Blocked;
            }
        }
    }

    private void KeepUnsent(byte[] data, int offset, int end, bool rented = false)
    {
        _unsent = data;
        _unsentOffset = offset;
        _unsentEnd = end;
        _unsentRented = rented;
    }

    private void ReleaseUnsent()
    {
        if (_unsentRented && _unsent is not null)
        {
            ArrayPool<byte>.Shared.Return(_unsent);
        }

        _unsent = null;
        _unsentRented = false;
    }
}
