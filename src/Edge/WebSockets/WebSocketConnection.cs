using System.Buffers;
using System.IO.Pipelines;
using MadBase.Edge.Logging;
using Microsoft.AspNetCore.Connections;
using MadBase.Protocol;
using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.WebSockets;

/// <summary>
/// One upgraded RFC 6455 server connection over a duplex pipe: normally the connection's own transport pipes
/// (<see cref="Realtime.RealtimeConnectionMiddleware"/> answers the handshake below Kestrel's HTTP layer), or pipes
/// over the stream <c>IHttpUpgradeFeature.UpgradeAsync</c> returns. The read loop (this file) decodes frames with the
/// pure codecs and passes whole messages to an <see cref="IWebSocketMessageHandler"/>; the write loop
/// (<c>.Send.cs</c>) drains the <see cref="OutboundQueue"/> into the output pipe with one flush per batch.
/// </summary>
internal sealed partial class WebSocketConnection
{
    /// <summary>Control payloads are at most 125 bytes (RFC 6455 §5.5), so they always fit on the stack.</summary>
    private const int ControlBufferLength = WebSocketFrameDecoder.MaxControlPayloadLength;

    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly Action _abort;
    private readonly WebSocketLimits _limits;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly WebSocketMetrics _metrics;
    private readonly WebSocketMessageAssembler _assembler;
    private ITimer? _readDeadline;
    private byte[]? _message;
    private int _messageLength;
    private long _lastActivity;

    /// <param name="reader">Bytes from the client. Kestrel's transport pipe reads with zero-byte reads, so an idle socket holds no buffer.</param>
    /// <param name="writer">Bytes to the client; only the write loop touches it after the handshake.</param>
    public WebSocketConnection(PipeReader reader, PipeWriter writer, Action abort, WebSocketLimits limits, TimeProvider time, ILogger logger, WebSocketMetrics metrics)
    {
        _reader = reader;
        _writer = writer;
        _abort = abort;
        _limits = limits;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _assembler = new WebSocketMessageAssembler(limits.MaxMessageBytes);
        _lastActivity = time.GetTimestamp();
        Outbound = new OutboundQueue(limits.OutboundQueueCapacity, limits.OutboundFullGrace, time, metrics.FramesDropped, OnOutboundOverflow);
    }

    public OutboundQueue Outbound { get; }

    /// <summary>
    /// For the stream <c>IHttpUpgradeFeature.UpgradeAsync</c> returns: zero-byte reads so an idle socket waits without
    /// holding a buffer, and a writer that leaves the stream to Kestrel.
    /// </summary>
    public static WebSocketConnection OverStream(Stream stream, Action abort, WebSocketLimits limits, TimeProvider time, ILogger logger, WebSocketMetrics metrics) =>
        new(
            PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true, useZeroByteReads: true)),
            PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 4096, leaveOpen: true)),
            abort,
            limits,
            time,
            logger,
            metrics);

    /// <summary>Time since the client last sent any bytes (frames of any kind).</summary>
    public TimeSpan IdleFor => _time.GetElapsedTime(Volatile.Read(ref _lastActivity));

    /// <summary>Runs both loops until the socket closes; <see cref="IWebSocketMessageHandler.OnClosed"/> runs last.</summary>
    public async Task RunAsync(IWebSocketMessageHandler handler)
    {
        var writer = Task.Run(WriteLoopAsync);
        try
        {
            await ReceiveLoopAsync(handler);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or ConnectionAbortedException)
        {
            // Peer vanished, or our close handshake timed out: nothing more to read either way.
        }
        catch (Exception ex)
        {
            Log.WebSocketHandlerFailed(_logger, ex);
            Close(WebSocketCloseStatus.InternalServerError, "internal error");
        }
        finally
        {
            // A socket that ended without a close handshake gets no Close frame, just the queued frames' end.
            Outbound.Complete();
            try
            {
                await writer.WaitAsync(_limits.CloseHandshakeTimeout);
            }
            catch (TimeoutException)
            {
                _abort(); // the client stopped reading: the write cannot finish, so drop the TCP connection
            }

            await _reader.CompleteAsync();
            if (writer.IsCompletedSuccessfully)
            {
                await _writer.CompleteAsync(); // after the Close frame: lets the transport send FIN
            }

            handler.OnClosed();
            Interlocked.Exchange(ref _readDeadline, null)?.Dispose();
            ReturnMessageBuffer();
        }
    }

    private async Task ReceiveLoopAsync(IWebSocketMessageHandler handler)
    {
        while (true)
        {
            var result = await _reader.ReadAsync();
            var buffer = result.Buffer;
            var consumed = buffer.Start;
            var examined = buffer.End;
            bool stop = false;
            try
            {
                if (!buffer.IsEmpty)
                {
                    Volatile.Write(ref _lastActivity, _time.GetTimestamp());
                }

                while (!stop && TryTakeFrame(ref buffer, handler, out stop))
                {
                    consumed = buffer.Start;
                }

                if (stop)
                {
                    consumed = buffer.Start;
                    examined = consumed;
                }
            }
            catch (ProtocolException ex) when (ex.Reason is WebSocketProtocolError error)
            {
                Log.WebSocketProtocolError(_logger, error.ToString(), ex.Message);
                _metrics.ProtocolErrors.Increment();
                Close(error.ToCloseStatus(), ex.Message);
                stop = true;
            }
            finally
            {
                _reader.AdvanceTo(consumed, examined);
            }

            if (stop)
            {
                await WaitForPeerCloseAsync();
                return;
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Takes one whole frame from <paramref name="buffer"/>. A frame is only decoded once all its bytes are buffered;
    /// the decoder refuses lengths above the message limit first, so this never buffers more than the limit.
    /// </summary>
    private bool TryTakeFrame(ref ReadOnlySequence<byte> buffer, IWebSocketMessageHandler handler, out bool stop)
    {
        stop = false;
        if (!WebSocketFrameDecoder.TryReadHeader(buffer, expectMasked: true, _limits.MaxMessageBytes, out var header, out var headerLength)
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
            _metrics.MessagesReceived.Increment();
            handler.OnMessage(opcode, _message.AsSpan(0, _messageLength));
            _messageLength = 0;
            ReturnMessageBuffer(); // an idle socket holds no message buffer; the pool makes the next rent cheap
        }

        return true;
    }

    /// <returns>True when the read loop should stop (the peer sent Close).</returns>
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

    private async Task WaitForPeerCloseAsync()
    {
        if (Volatile.Read(ref _closeReceived) == 1)
        {
            return;
        }

        EndReadsAfter(_limits.CloseHandshakeTimeout);
        while (true)
        {
            var result = await _reader.ReadAsync();
            var buffer = result.Buffer;
            _reader.AdvanceTo(buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Makes the pending (or next) read return canceled after <paramref name="delay"/>: the bound on a close
    /// handshake. A timer is created only for a closing socket, so open sockets hold no cancellation state.
    /// </summary>
    private void EndReadsAfter(TimeSpan delay)
    {
        var timer = Volatile.Read(ref _readDeadline);
        if (timer is null)
        {
            var created = _time.CreateTimer(static state => ((WebSocketConnection)state!).CancelPendingRead(), this, delay, Timeout.InfiniteTimeSpan);
            timer = Interlocked.CompareExchange(ref _readDeadline, created, null);
            if (timer is null)
            {
                return;
            }

            created.Dispose(); // another caller armed it first
        }

        timer.Change(delay, Timeout.InfiniteTimeSpan);
    }

    private void CancelPendingRead()
    {
        try
        {
            _reader.CancelPendingRead();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            // The reader already completed: the connection is over. (A timer callback must never throw.)
        }
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
