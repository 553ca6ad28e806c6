using System.Buffers;
using MadBase.Edge.Logging;

namespace MadBase.Edge.WebSockets.Epoll;

/// <summary>
/// The write side. It runs as a thread-pool work item, queued by the <see cref="OutboundQueue"/> when frames arrive
/// while it is idle, or by the loop when a socket that refused bytes becomes writable again; both only ever queue it
/// when no other run is in progress, so one run at a time owns the write state.
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
    private int _closeFrameWritten;
    private int _writeBlocked;
    private int _writableEpoch;
    private ITimer? _closeDeadline;

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
                CloseFrameWritten();
                return;
            }

            if (Volatile.Read(ref _finished) == 1 || !Outbound.HasWorkOrArm())
            {
                return; // armed: the next frame (or Close) queues a new run
            }

            var batch = Outbound.TakeAll(out var count);
            try
            {
                if (count == 0)
                {
                    if (!Outbound.IsCompleted)
                    {
                        continue; // the shared log had nothing this socket may read yet: arm and wait
                    }

                    // Completed and drained: the Close frame goes last, if the connection is closing (not just gone).
                    if (CloseFrame is not { } close)
                    {
                        return;
                    }

                    KeepUnsent(close, 0, close.Length);
                    _closeFrameQueued = true;
                    continue;
                }

                if (!DiscardBacklog && !WriteBatch(batch, count))
                {
                    Finish();
                    return;
                }
            }
            finally
            {
                Outbound.Return(batch, count);
            }

            if (_unsent is null)
            {
                Outbound.MarkDrained();
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

    /// <summary>Our Close frame is through: with the peer's already here the exchange is over, else wait for it.</summary>
    private void CloseFrameWritten()
    {
        Interlocked.Exchange(ref _closeFrameWritten, 1);
        if (CloseReceived)
        {
            Finish();
        }
    }

    /// <summary>Bounds the closing handshake: a peer that never answers our Close is dropped after <paramref name="timeout"/>.</summary>
    private void ArmCloseDeadline(TimeSpan timeout)
    {
        if (Volatile.Read(ref _finished) == 1)
        {
            return;
        }

        var timer = Time.CreateTimer(static state => ((EpollWebSocketConnection)state!).Finish(), this, timeout, Timeout.InfiniteTimeSpan);
        Interlocked.Exchange(ref _closeDeadline, timer)?.Dispose();
        if (Volatile.Read(ref _finished) == 1)
        {
            Interlocked.Exchange(ref _closeDeadline, null)?.Dispose();
        }
    }
}
