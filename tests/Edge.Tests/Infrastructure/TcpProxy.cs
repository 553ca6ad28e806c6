using System.Net;
using System.Net.Sockets;

namespace MadBase.Edge.Tests.Infrastructure;

/// <summary>
/// A loopback TCP forwarder a test can cut: <see cref="Cut"/> closes the listener and every open connection
/// (the server looks "down"), <see cref="Restore"/> listens again on the same port. With several targets it is a
/// failover load balancer: each new connection goes to the first target that accepts it. <see cref="Hold"/> makes the
/// server behind it hang instead.
/// </summary>
internal sealed class TcpProxy : IDisposable
{
    private static readonly TaskCompletionSource s_flowing = Completed();

    private readonly IPEndPoint[] _targets;
    private readonly List<TcpClient> _open = [];
    private TcpListener? _listener;
    private CancellationTokenSource _cts = new();
    private TaskCompletionSource _flowing = s_flowing;

    public TcpProxy(int listenPort, params IPEndPoint[] targets)
    {
        Port = listenPort;
        _targets = targets;
        Restore();
    }

    public int Port { get; }

    public void Restore()
    {
        _cts = new CancellationTokenSource();
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        _ = AcceptLoopAsync(_listener, _cts.Token);
    }

    /// <summary>
    /// Holds every byte in both directions (connections are still accepted): the server behind looks hung, not down,
    /// until <see cref="Release"/>.
    /// </summary>
    public void Hold() => Interlocked.CompareExchange(ref _flowing, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), s_flowing);

    /// <summary>Lets the held bytes go on.</summary>
    public void Release() => Interlocked.Exchange(ref _flowing, s_flowing).TrySetResult();

    public void Cut()
    {
        _cts.Cancel();
        _listener?.Stop();
        lock (_open)
        {
            foreach (var client in _open)
            {
                try
                {
                    if (client.Client is { } socket)
                    {
                        socket.LingerState = new LingerOption(true, 0); // RST, like a crashed server
                    }
                }
                catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
                {
                    // Its pump already closed it (the other side went away first): nothing left to cut.
                }

                client.Dispose();
            }

            _open.Clear();
        }
    }

    public void Dispose() => Cut();

    private async Task AcceptLoopAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await listener.AcceptTcpClientAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var outbound = await ConnectAnyAsync(cancellationToken);
            if (outbound is null)
            {
                inbound.Dispose();
                continue;
            }

            lock (_open)
            {
                _open.Add(inbound);
                _open.Add(outbound);
            }

            _ = PumpAsync(inbound, outbound, cancellationToken);
            _ = PumpAsync(outbound, inbound, cancellationToken);
        }
    }

    private static TaskCompletionSource Completed()
    {
        var completed = new TaskCompletionSource();
        completed.SetResult();
        return completed;
    }

    private async Task<TcpClient?> ConnectAnyAsync(CancellationToken cancellationToken)
    {
        foreach (var target in _targets)
        {
            var outbound = new TcpClient();
            try
            {
                await outbound.ConnectAsync(target, cancellationToken);
                return outbound;
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
                outbound.Dispose();
            }
        }

        return null;
    }

    private async Task PumpAsync(TcpClient from, TcpClient to, CancellationToken cancellationToken)
    {
        try
        {
            var source = from.GetStream();
            var target = to.GetStream();
            var buffer = new byte[81920];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await Volatile.Read(ref _flowing).Task.WaitAsync(cancellationToken); // held: the bytes wait here until Release
                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }
}
