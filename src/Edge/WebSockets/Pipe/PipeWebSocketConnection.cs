using System.IO.Pipelines;
using System.Threading.Tasks.Sources;
using MadBase.Protocol.WebSockets;
using Microsoft.AspNetCore.Connections;

namespace MadBase.Edge.WebSockets.Pipe;

/// <summary>
/// A <see cref="WebSocketConnection"/> over a duplex pipe: the pipes over the stream <c>IHttpUpgradeFeature.UpgradeAsync</c>
/// returns, or Kestrel's transport pipes (Realtime/Sockets/RealtimeConnectionMiddleware, when the epoll transport
/// is off). It only moves bytes: the read loop (this file) hands what the input pipe holds to the core; the write
/// loop (<c>.Send.cs</c>) copies the core's batches into the output pipe with one flush per 64 KiB.
/// </summary>
internal sealed partial class PipeWebSocketConnection : WebSocketConnection, IValueTaskSource
{
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly Action _abort;

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
            // Peer vanished: nothing more to read.
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
            TryEnd();
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
            ReleaseMessageBuffer();
        }
    }

    /// <summary>
    /// Hands every read to the core until the peer's Close came, the stream ended, or the close deadline canceled the
    /// read. After a Close of ours the reads go on (the core discards them) until the peer answers or hangs up.
    /// </summary>
    private async Task ReceiveLoopAsync(IWebSocketMessageHandler handler)
    {
        while (true)
        {
            var result = await _reader.ReadAsync();
            var buffer = result.Buffer;
            var reading = Receive(ref buffer, handler);
            _reader.AdvanceTo(buffer.Start, result.Buffer.End);
            if ((!reading && CloseReceived) || result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    /// <summary>The close deadline passed: the pending (or next) read returns canceled and the read loop ends.</summary>
    protected override void OnCloseDeadline()
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
