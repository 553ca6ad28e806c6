using System.Buffers;
using MadBase.Edge.Logging;
using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.WebSockets;

/// <summary>
/// One upgraded RFC 6455 server connection, whatever carries its bytes: the frame rules (this class) are shared, the
/// reading and writing belong to the transport. <c>Pipe/PipeWebSocketConnection</c> runs over a duplex pipe
/// (Kestrel's transport or an upgraded HTTP stream); <c>Epoll/EpollWebSocketConnection</c> runs on a raw
/// descriptor in MadBase's own epoll loop. Both decode frames with the pure codecs, pass whole messages to an
/// <see cref="IWebSocketMessageHandler"/> and drain one <see cref="OutboundQueue"/>.
/// </summary>
internal abstract class WebSocketConnection : IOutboundOverflowHandler
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
    private int _discardBacklog;

    protected WebSocketConnection(WebSocketLimits limits, TimeProvider time, ILogger logger, WebSocketMetrics metrics)
    {
        Limits = limits;
        Time = time;
        Logger = logger;
        Metrics = metrics;
        _assembler = new WebSocketMessageAssembler(limits.MaxMessageBytes);
        _lastActivity = time.GetTimestamp();
        // A connection that is itself a work item gets it queued when frames arrive; the others await the queue.
        Outbound = new OutboundQueue(limits.OutboundQueueCapacity, limits.OutboundFullGrace, time, metrics.FramesDropped, this, this as IThreadPoolWorkItem);
    }

    public OutboundQueue Outbound { get; }

    /// <summary>Time since the client last sent any bytes (frames of any kind).</summary>
    public TimeSpan IdleFor => Time.GetElapsedTime(Volatile.Read(ref _lastActivity));

    protected WebSocketLimits Limits { get; }

    protected TimeProvider Time { get; }

    protected ILogger Logger { get; }

    protected WebSocketMetrics Metrics { get; }

    /// <summary>Our Close frame is decided (queued behind the backlog, or sent).</summary>
    protected bool CloseSent => Volatile.Read(ref _closeSent) == 1;

    /// <summary>The peer's Close frame arrived.</summary>
    protected bool CloseReceived => Volatile.Read(ref _closeReceived) == 1;

    /// <summary>The Close frame to send once the queue is drained; null until <see cref="Close"/>.</summary>
    protected byte[]? CloseFrame => Volatile.Read(ref _closeFrame);

    /// <summary>A slow client's backlog is skipped so its Close goes out next.</summary>
    protected bool DiscardBacklog => Volatile.Read(ref _discardBacklog) == 1;

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
            // Bound the wait for the peer's Close (RFC 6455 §7.1.1: the server should close TCP first after it).
            OnAwaitingPeerClose(Limits.CloseHandshakeTimeout + Limits.CloseHandshakeTimeout);
        }
    }

    /// <summary>Our Close is on its way and the peer's has not come: end the connection if it does not within <paramref name="timeout"/>.</summary>
    protected abstract void OnAwaitingPeerClose(TimeSpan timeout);

    protected void MarkActivity() => Volatile.Write(ref _lastActivity, Time.GetTimestamp());

    /// <summary>
    /// Takes one whole frame from <paramref name="buffer"/>. A frame is only decoded once all its bytes are buffered;
    /// the decoder refuses lengths above the message limit first, so this never buffers more than the limit.
    /// Throws <see cref="Protocol.ProtocolException"/> with a <see cref="WebSocketProtocolError"/> on a bad frame.
    /// </summary>
    /// <param name="stop">True when the read side should stop (the peer sent Close).</param>
    protected bool TryTakeFrame(ref ReadOnlySequence<byte> buffer, IWebSocketMessageHandler handler, out bool stop)
    {
        stop = false;
        if (!WebSocketFrameDecoder.TryReadHeader(buffer, expectMasked: true, Limits.MaxMessageBytes, out var header, out var headerLength)
            || buffer.Length - headerLength < header.PayloadLength)
        {
            return false;
        }

        var payload = buffer.Slice(headerLength, header.PayloadLength);
        buffer = buffer.Slice(payload.End);
        if (CloseSent && header.Opcode != WebSocketOpcode.Close)
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
            stop = OnControlFrame(header.Opcode, control);
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

    /// <summary>Called once the connection is over: the unfinished message's buffer goes back to the pool.</summary>
    protected void ReleaseMessageBuffer()
    {
        _messageLength = 0;
        ReturnMessageBuffer();
    }

    /// <returns>True when the read side should stop (the peer sent Close).</returns>
    private bool OnControlFrame(WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
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
                return false; // Pong: the peer answering a ping we never send, or an unsolicited heartbeat
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
