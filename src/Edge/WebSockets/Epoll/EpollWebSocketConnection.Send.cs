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
/// cheap, docs/performance-anchors.md §Write coalescing). What the socket does not take is kept as references to its
/// frames (never copied) and the run ends; the loop's EPOLLOUT queues the next run, which packs them again.
/// </remarks>
internal sealed partial class EpollWebSocketConnection : IThreadPoolWorkItem
{
    private const int SendBufferBytes = 64 * 1024;

    [ThreadStatic]
    private static byte[]? t_sendBuffer;

    /// <summary>Above this many, the array of frames kept for a full socket is not kept for the next time.</summary>
    private const int KeptPendingCapacity = 256;

    // What a full socket did not take: references to the (shared, immutable) frames, not a copy of their bytes, so a
    // blocked subscriber costs 8 bytes per frame instead of up to a 128 KiB pooled buffer (1,000 subscribers of a
    // burst are 1,000 blocked sockets). The first one's first _pendingOffset bytes were sent.
    private OutboundFrame[] _pending = [];
    private int _pendingNext;
    private int _pendingEnd;
    private int _pendingOffset;
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
            if (HasPending)
            {
                switch (SendPending())
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
                    KeepPending([new OutboundFrame(CloseFrame!)], 0, 1, 0);
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
                EndBatch(batch, count, flushed: open && !HasPending);
            }

            if (!open)
            {
                Finish();
                return;
            }
        }
    }

    private bool HasPending => _pendingNext < _pendingEnd;

    /// <summary>Hands a batch to the socket; what it does not take is kept (<see cref="KeepPending"/>).</summary>
    /// <returns>False when the socket failed (the peer is gone).</returns>
    private bool WriteBatch(OutboundFrame[] batch, int count)
    {
        Metrics.FramesSent.Add(count);
        if (count == 1)
        {
            var frame = batch[0].Bytes;
            return SendOrKeep(frame, frame.Length, batch, 0, count);
        }

        var buffer = t_sendBuffer ??= GC.AllocateUninitializedArray<byte>(SendBufferBytes);
        var used = 0;
        var packedFrom = 0;
        for (var i = 0; i < count; i++)
        {
            var frame = batch[i].Bytes;
            if (frame.Length > buffer.Length - used)
            {
                if (used > 0 && !SendOrKeep(buffer, used, batch, packedFrom, count))
                {
                    return false;
                }

                used = 0;
                packedFrom = i;
                if (HasPending)
                {
                    return true;
                }

                if (frame.Length > buffer.Length)
                {
                    if (!SendOrKeep(frame, frame.Length, batch, i, count))
                    {
                        return false;
                    }

                    packedFrom = i + 1;
                    if (HasPending)
                    {
                        return true;
                    }

                    continue;
                }
            }

            frame.CopyTo(buffer, used);
            used += frame.Length;
        }

        return used == 0 || SendOrKeep(buffer, used, batch, packedFrom, count);
    }

    /// <summary>
    /// Sends <paramref name="data"/>[..<paramref name="length"/>], which holds the frames of <paramref name="batch"/>
    /// from <paramref name="first"/> on, back to back; if the socket takes only part, the frames from the first one not
    /// fully sent up to <paramref name="count"/> are kept (the caller stops there).
    /// </summary>
    /// <returns>False when the socket failed.</returns>
    private bool SendOrKeep(byte[] data, int length, OutboundFrame[] batch, int first, int count)
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
            return true; // the caller goes on with the frames after these
        }

        var next = first;
        while (sent >= batch[next].Length)
        {
            sent -= batch[next].Length;
            next++;
        }

        KeepPending(batch, next, count, sent);
        return true;
    }

    /// <summary>
    /// Sends the kept frames, packed as a batch is; on a full socket marks the run blocked so the loop's EPOLLOUT
    /// queues the next.
    /// </summary>
    private SendResult SendPending()
    {
        while (HasPending)
        {
            var epoch = Volatile.Read(ref _writableEpoch);
            var first = _pending[_pendingNext].Bytes;
            var firstRest = first.Length - _pendingOffset;
            int sent;
            if (_pendingNext + 1 == _pendingEnd || firstRest >= SendBufferBytes)
            {
                sent = LinuxSockets.Send(_fd, first.AsSpan(_pendingOffset));
            }
            else
            {
                var buffer = t_sendBuffer ??= GC.AllocateUninitializedArray<byte>(SendBufferBytes);
                first.AsSpan(_pendingOffset).CopyTo(buffer);
                var used = firstRest;
                for (var i = _pendingNext + 1; i < _pendingEnd && _pending[i].Length <= buffer.Length - used; i++)
                {
                    _pending[i].Bytes.CopyTo(buffer, used);
                    used += _pending[i].Length;
                }

                sent = LinuxSockets.Send(_fd, buffer.AsSpan(0, used));
            }

            Metrics.SocketWrites.Increment();
            if (sent > 0)
            {
                Metrics.BytesSent.Add(sent);
                AdvancePending(sent);
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

        ReleasePending();
        return SendResult.Done;
    }

    private void AdvancePending(int sent)
    {
        while (sent > 0)
        {
            var rest = _pending[_pendingNext].Length - _pendingOffset;
            if (sent < rest)
            {
                _pendingOffset += sent;
                return;
            }

            sent -= rest;
            _pending[_pendingNext++] = default; // sent: the frame may go
            _pendingOffset = 0;
        }
    }

    /// <summary>Keeps <paramref name="frames"/>[<paramref name="from"/>..<paramref name="count"/>), the first with <paramref name="offset"/> bytes sent.</summary>
    private void KeepPending(OutboundFrame[] frames, int from, int count, int offset)
    {
        var n = count - from;
        if (_pending.Length < n)
        {
            _pending = new OutboundFrame[Math.Max(n, 16)];
        }

        Array.Copy(frames, from, _pending, 0, n);
        _pendingNext = 0;
        _pendingEnd = n;
        _pendingOffset = offset;
    }

    private void ReleasePending()
    {
        Array.Clear(_pending, 0, _pendingEnd);
        if (_pending.Length > KeptPendingCapacity)
        {
            _pending = [];
        }

        _pendingNext = _pendingEnd = _pendingOffset = 0;
    }
}
