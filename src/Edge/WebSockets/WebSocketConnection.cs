using System.Buffers;
using MadBase.Protocol;
using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.WebSockets;

/// <summary>
/// One upgraded RFC 6455 server connection, whatever carries its bytes. This core holds every rule of the protocol:
/// frame decoding over the bytes a transport received (<see cref="Receive"/>), control frames, the closing handshake
/// and its deadline, the mapping of a bad frame or a failed handler to a close code, the limits, and the writer's
/// steps over the <see cref="OutboundQueue"/> (<see cref="NextWrite"/>). A transport only moves bytes and schedules
/// itself: <c>Epoll/EpollWebSocketConnection</c> on a raw descriptor in MadBase's own epoll loop,
/// <c>Pipe/PipeWebSocketConnection</c> over a duplex pipe (Kestrel's transport or an upgraded HTTP stream).
/// </summary>
/// <remarks>
/// Threads: <see cref="Receive"/> is called by the transport's reader only, <see cref="NextWrite"/> and
/// <see cref="EndBatch"/> by its writer only (one run at a time); <see cref="Close"/> from anywhere.
/// </remarks>
internal abstract class WebSocketConnection : IOutboundOverflowHandler, IOutboundWriter
{
    /// <summary>Control payloads are at most 125 bytes (RFC 6455 §5.5), so they always fit on the stack.</summary>
    private const int ControlBufferLength = WebSocketFrameDecoder.MaxControlPayloadLength;

    private readonly WebSocketMessageAssembler _assembler;
    private byte[]? _message;
    private int _messageLength;
    private long _lastActivity;
    private byte[]? _closeFrame;
    private int _closeSent;
    private int _closeReceived;
    private int _closeFrameWritten;
    private int _discardBacklog;
    private int _ended;
    private ITimer? _closeDeadline;

    // Reader only.
    private bool _readsDone;

    protected WebSocketConnection(WebSocketLimits limits, TimeProvider time, ILogger logger, WebSocketMetrics metrics)
    {
        Limits = limits;
        Time = time;
        Logger = logger;
        Metrics = metrics;
        _assembler = new WebSocketMessageAssembler(limits.MaxMessageBytes);
        _lastActivity = time.GetTimestamp();
        Outbound = new OutboundQueue(limits.OutboundQueueCapacity, limits.OutboundFullGrace, time, metrics.FramesDropped, this, this);
    }

    /// <summary>What the writer does next (<see cref="NextWrite"/>).</summary>
    protected enum WriteStep
    {
        /// <summary>Nothing to write: the queue is armed and calls <see cref="WakeWriter"/> for the next frame (or Close); the run ends here.</summary>
        Idle,

        /// <summary>Write the batch's frames, then hand it back with <see cref="EndBatch"/>.</summary>
        Frames,

        /// <summary>Everything is written: send <see cref="CloseFrame"/> last, then <see cref="OnCloseFrameWritten"/>.</summary>
        CloseFrame,

        /// <summary>The queue is over and there is no Close to send (the socket ended without a handshake).</summary>
        Done,
    }

    public OutboundQueue Outbound { get; }

    /// <summary>Time since the client last sent any bytes (frames of any kind).</summary>
    public TimeSpan IdleFor => Time.GetElapsedTime(Volatile.Read(ref _lastActivity));

    /// <summary>
    /// The closing handshake has begun (the peer's Close came, or ours was started): nothing sent from now on can be
    /// counted as read, though the connection may last until our queue drains or the handshake's deadline.
    /// </summary>
    public bool IsClosing => Volatile.Read(ref _closeSent) == 1 || CloseReceived;

    protected WebSocketLimits Limits { get; }

    protected TimeProvider Time { get; }

    protected ILogger Logger { get; }

    protected WebSocketMetrics Metrics { get; }

    /// <summary>The peer's Close frame arrived.</summary>
    protected bool CloseReceived => Volatile.Read(ref _closeReceived) == 1;

    /// <summary>The Close frame to send once the queue is drained; null until <see cref="Close"/>.</summary>
    protected byte[]? CloseFrame => Volatile.Read(ref _closeFrame);

    /// <summary>True once <see cref="TryEnd"/> ran: the transport is tearing the connection down.</summary>
    protected bool HasEnded => Volatile.Read(ref _ended) == 1;

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
        if (!CloseReceived)
        {
            // Bound the wait for the peer's Close (RFC 6455 §7.1.1: the server should close TCP first after it): one
            // timeout for our queue to drain, one for the peer to answer.
            ArmCloseDeadline(Limits.CloseHandshakeTimeout + Limits.CloseHandshakeTimeout);
        }
    }

    /// <summary>
    /// Queues a Ping behind everything queued or taken so far, without waking an idle writer (it rides with the next
    /// write, or goes after <see cref="FlushQueued"/>). False when the queue is full or closing; never counted as a drop.
    /// </summary>
    public bool TryQueuePing(ReadOnlySpan<byte> payload) => Outbound.TryEnqueueQuietly(new OutboundFrame(WebSocketFrames.Ping(payload)));

    /// <summary>Wakes an idle writer for frames queued quietly (<see cref="TryQueuePing"/>) that no write carried yet.</summary>
    public void FlushQueued() => Outbound.WakeForQueued();

    /// <summary>
    /// Decodes every whole frame at the start of <paramref name="buffer"/> and moves it past them; the bytes of an
    /// incomplete frame stay for the transport to keep and hand back with more. Once reading is over (the peer's
    /// Close came, or a bad frame or a failing handler started our Close with its code) every byte is consumed
    /// unread: the transport reads on only to see the end of the stream.
    /// </summary>
    /// <returns>False once reading is over.</returns>
    protected bool Receive(ref ReadOnlySequence<byte> buffer, IWebSocketMessageHandler handler)
    {
        if (!buffer.IsEmpty)
        {
            Volatile.Write(ref _lastActivity, Time.GetTimestamp());
        }

        if (!_readsDone)
        {
            try
            {
                var stop = false;
                while (!stop && TryTakeFrame(ref buffer, handler, out stop))
                {
                }

                if (!stop)
                {
                    return true;
                }
            }
            catch (ProtocolException ex) when (ex.Reason is WebSocketProtocolError error)
            {
                Log.WebSocketProtocolError(Logger, error.ToString(), ex.Message);
                Metrics.ProtocolErrors.Increment();
                Close(error.ToCloseStatus(), ex.Message);
            }
            catch (Exception ex)
            {
                Log.WebSocketHandlerFailed(Logger, ex);
                Close(WebSocketCloseStatus.InternalServerError, "internal error");
            }

            _readsDone = true;
        }

        buffer = buffer.Slice(buffer.End);
        return false;
    }

    /// <summary>
    /// The writer's next step. One writer run at a time; after <see cref="WriteStep.Idle"/> the run must end (the
    /// queue wakes the writer again). A slow client's discarded backlog is skipped here, so its Close goes out next.
    /// </summary>
    protected WriteStep NextWrite(out OutboundFrame[] batch, out int count)
    {
        while (Outbound.HasWorkOrArm())
        {
            batch = Outbound.TakeAll(out count);
            if (count > 0)
            {
                if (Volatile.Read(ref _discardBacklog) == 0)
                {
                    return WriteStep.Frames;
                }

                EndBatch(batch, count, flushed: true);
                continue;
            }

            Outbound.Return(batch, 0);
            if (Outbound.IsCompleted)
            {
                // Completed and drained: the Close frame goes last, if the connection is closing (not just gone).
                return CloseFrame is null ? WriteStep.Done : WriteStep.CloseFrame;
            }

            // The shared log had nothing this socket may read yet: ask again, which arms the wake-up.
        }

        batch = [];
        count = 0;
        return WriteStep.Idle;
    }

    /// <summary>Hands a written batch back; <paramref name="flushed"/>: every byte of it reached the transport.</summary>
    protected void EndBatch(OutboundFrame[] batch, int count, bool flushed)
    {
        Outbound.Return(batch, count);
        if (flushed)
        {
            Outbound.MarkDrained();
        }
    }

    /// <summary>Our Close frame is through.</summary>
    /// <returns>True when the peer's Close had come too: the exchange is over and the server closes TCP first (RFC 6455 §7.1.1).</returns>
    protected bool OnCloseFrameWritten()
    {
        Interlocked.Exchange(ref _closeFrameWritten, 1);
        return CloseReceived;
    }

    /// <summary>True when both Close frames are through (the reader asks after the peer's arrived).</summary>
    protected bool CloseHandshakeDone => Volatile.Read(ref _closeFrameWritten) == 1 && CloseReceived;

    /// <summary>
    /// The connection is over (any thread): the close deadline is dropped. True for the first caller only, who tears
    /// the transport down.
    /// </summary>
    protected bool TryEnd()
    {
        if (Interlocked.Exchange(ref _ended, 1) == 1)
        {
            return false;
        }

        Interlocked.Exchange(ref _closeDeadline, null)?.Dispose();
        return true;
    }

    /// <summary>The peer did not answer our Close within the deadline: end the connection without it.</summary>
    protected abstract void OnCloseDeadline();

    /// <summary>
    /// The queue has something for the idle writer (after a <see cref="NextWrite"/> that returned
    /// <see cref="WriteStep.Idle"/>): schedule the writer's next run. Called by a producer: never run the writer inline.
    /// </summary>
    protected abstract void WakeWriter();

    void IOutboundWriter.Wake() => WakeWriter();

    /// <summary>Called once the connection is over: the unfinished message's buffer goes back to the pool.</summary>
    protected void ReleaseMessageBuffer()
    {
        _messageLength = 0;
        ReturnMessageBuffer();
    }

    /// <summary>
    /// Takes one whole frame from <paramref name="buffer"/>. A frame is only decoded once all its bytes are buffered;
    /// the decoder refuses lengths above the message limit first, so this never buffers more than the limit.
    /// Throws <see cref="ProtocolException"/> with a <see cref="WebSocketProtocolError"/> on a bad frame.
    /// </summary>
    /// <param name="stop">True when the read side should stop (the peer sent Close).</param>
    private bool TryTakeFrame(ref ReadOnlySequence<byte> buffer, IWebSocketMessageHandler handler, out bool stop)
    {
        stop = false;
        if (!WebSocketFrameDecoder.TryReadHeader(buffer, expectMasked: true, Limits.MaxMessageBytes, out var header, out var headerLength)
            || buffer.Length - headerLength < header.PayloadLength)
        {
            return false;
        }

        var payload = buffer.Slice(headerLength, header.PayloadLength);
        buffer = buffer.Slice(payload.End);
        if (Volatile.Read(ref _closeSent) == 1 && header.Opcode != WebSocketOpcode.Close)
        {
            return true; // after our Close only the peer's Close matters (RFC 6455 §5.5.1)
        }

        _assembler.BeginFrame(header);
        if (header.IsControl)
        {
            Span<byte> control = stackalloc byte[ControlBufferLength];
            control = control[..(int)header.PayloadLength];
            payload.CopyTo(control);
            WebSocketMask.Apply(control, header.MaskKey, 0);
            _assembler.Append(control);
            _assembler.EndFrame(out _);
            stop = OnControlFrame(header.Opcode, control, handler);
            return true;
        }

        var length = (int)header.PayloadLength;
        EnsureMessageCapacity(_messageLength + length);
        var target = _message.AsSpan(_messageLength, length);
        payload.CopyTo(target);
        WebSocketMask.Apply(target, header.MaskKey, 0);
        _messageLength += length;
        _assembler.Append(target);
        if (_assembler.EndFrame(out var opcode))
        {
            Metrics.MessagesReceived.Increment();
            handler.OnMessage(opcode, _message.AsSpan(0, _messageLength));
            _messageLength = 0;
            ReturnMessageBuffer(); // an idle socket holds no message buffer; the pool makes the next rent cheap
        }

        return true;
    }

    /// <returns>True when the read side should stop (the peer sent Close).</returns>
    private bool OnControlFrame(WebSocketOpcode opcode, ReadOnlySpan<byte> payload, IWebSocketMessageHandler handler)
    {
        switch (opcode)
        {
            case WebSocketOpcode.Ping:
                Outbound.TryEnqueue(new OutboundFrame(WebSocketFrames.Pong(payload)));
                return false;
            case WebSocketOpcode.Close:
                // Validates the body (1-byte bodies, reserved codes and bad UTF-8 throw → 1002/1007).
                var hasCode = WebSocketClosePayload.TryParse(payload, out var code, out _);
                Interlocked.Exchange(ref _closeReceived, 1);
                Close(hasCode ? code : WebSocketCloseStatus.NormalClosure, "", echoEmpty: !hasCode);
                return true;
            default:
                handler.OnPong(payload); // an answer to our Ping, or an unsolicited heartbeat (RFC 6455 §5.5.3)
                return false;
        }
    }

    /// <summary>Bounds the closing handshake: a peer that never answers our Close is dropped after <paramref name="timeout"/>.</summary>
    private void ArmCloseDeadline(TimeSpan timeout)
    {
        if (HasEnded)
        {
            return;
        }

        var timer = Time.CreateTimer(static state => ((WebSocketConnection)state!).OnCloseDeadline(), this, timeout, Timeout.InfiniteTimeSpan);
        Interlocked.Exchange(ref _closeDeadline, timer)?.Dispose();
        if (HasEnded)
        {
            Interlocked.Exchange(ref _closeDeadline, null)?.Dispose(); // ended while arming: TryEnd may have missed it
        }
    }

    void IOutboundOverflowHandler.OnOverflow(OutboundQueue queue)
    {
        Metrics.SlowClientCloses.Increment();
        Log.SlowClientClosed(Logger, queue.Dropped, Limits.OutboundFullGrace.TotalMilliseconds);

        // The queued backlog is what the client cannot take: skip it so the Close frame goes out next.
        Close(WebSocketCloseStatus.PolicyViolation, "outbound queue overflow", discardBacklog: true);
    }

    private void EnsureMessageCapacity(int needed)
    {
        if (_message is null || _message.Length < needed)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, 4096));
            if (_message is not null)
            {
                _message.AsSpan(0, _messageLength).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_message);
            }

            _message = larger;
        }
    }

    private void ReturnMessageBuffer()
    {
        if (_message is not null && _messageLength == 0)
        {
            ArrayPool<byte>.Shared.Return(_message);
            _message = null;
        }
    }
}
