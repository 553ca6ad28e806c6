using System.IO.Pipelines;
using MadBase.Edge.Logging;
using MadBase.Protocol;
using MadBase.Protocol.WebSockets;
using Microsoft.AspNetCore.Connections;

namespace MadBase.Edge.WebSockets.Pipe;

/// <summary>
/// A <see cref="WebSocketConnection"/> over a duplex pipe: the pipes over the stream <c>IHttpUpgradeFeature.UpgradeAsync</c>
/// returns, or Kestrel's transport pipes (Realtime/Sockets/RealtimeConnectionMiddleware, when the epoll transport
/// is off). The read loop (this file) decodes frames; the write loop (<c>.Send.cs</c>) drains the
/// <see cref="OutboundQueue"/> into the output pipe with one flush per batch.
/// </summary>
internal sealed partial class PipeWebSocketConnection : WebSocketConnection
{
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly Action _abort;
    private ITimer? _readDeadline;

    /// <param name="reader">Bytes from the client. Kestrel's transport pipe reads with zero-byte reads, so an idle socket holds no buffer.</param>
    /// <param name="writer">Bytes to the client; only the write loop touches it after the handshake.</param>
    public PipeWebSocketConnection(PipeReader reader, PipeWriter writer, Action abort, WebSocketLimits limits, TimeProvider time, ILogger logger, WebSocketMetrics metrics)
        : base(limits, time, logger, metrics)
    {
        _reader = reader;
        _writer = writer;
        _abort = abort;
    }

    /// <summary>
    /// For the stream <c>IHttpUpgradeFeature.UpgradeAsync</c> returns: zero-byte reads so an idle socket waits without
    /// holding a buffer, and a writer that leaves the stream to Kestrel.
    /// </summary>
    public static PipeWebSocketConnection OverStream(Stream stream, Action abort, WebSocketLimits limits, TimeProvider time, ILogger logger, WebSocketMetrics metrics) =>
        new(
            PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true, useZeroByteReads: true)),
            PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 4096, leaveOpen: true)),
            abort,
            limits,
            time,
            logger,
            metrics);

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
            Log.WebSocketHandlerFailed(Logger, ex);
            Close(WebSocketCloseStatus.InternalServerError, "internal error");
        }
        finally
        {
            // A socket that ended without a close handshake gets no Close frame, just the queued frames' end.
            Outbound.Complete();
            try
            {
                await writer.WaitAsync(Limits.CloseHandshakeTimeout);
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
            ReleaseMessageBuffer();
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
                    MarkActivity();
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
                Log.WebSocketProtocolError(Logger, error.ToString(), ex.Message);
                Metrics.ProtocolErrors.Increment();
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

    private async Task WaitForPeerCloseAsync()
    {
        if (CloseReceived)
        {
            return;
        }

        EndReadsAfter(Limits.CloseHandshakeTimeout);
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
            var created = Time.CreateTimer(static state => ((PipeWebSocketConnection)state!).CancelPendingRead(), this, delay, Timeout.InfiniteTimeSpan);
            timer = Interlocked.CompareExchange(ref _readDeadline, created, null);
            if (timer is null)
            {
                return;
            }

            created.Dispose(); // another caller armed it first
        }

        timer.Change(delay, Timeout.InfiniteTimeSpan);
    }

    protected override void OnAwaitingPeerClose(TimeSpan timeout)
    {
        try
        {
            EndReadsAfter(timeout);
        }
        catch (ObjectDisposedException)
        {
            // The connection already finished (its timer was disposed).
        }
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
}
