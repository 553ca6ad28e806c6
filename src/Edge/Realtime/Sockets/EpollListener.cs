using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using MadBase.Edge.StorageApi.Sendfile;
using MadBase.Edge.WebSockets.Epoll;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace MadBase.Edge.Realtime.Sockets;

/// <summary>
/// Kestrel's listener for one endpoint, accepting on MadBase's own epoll loops. Every accepted socket starts as a
/// <see cref="NewConnection"/>: realtime upgrades stay on the loops as raw descriptors; every other connection is
/// wrapped in a <see cref="Socket"/> and given to Kestrel through its own socket transport
/// (<see cref="SocketConnectionContextFactory"/>), so HTTP is served exactly as with Kestrel's default transport.
/// </summary>
internal sealed class EpollListener : IConnectionListener, IEpollHandler
{
    /// <summary>Accepts per readiness event, so one burst of connects does not hold the loop for long.</summary>
    private const int MaxAcceptsPerEvent = 64;

    /// <summary>How long accepting pauses when the process is out of descriptors (Kestrel's own transport retries similarly).</summary>
    private static readonly TimeSpan AcceptPause = TimeSpan.FromMilliseconds(100);

    private readonly Socket _socket;
    private readonly int _fd;
    private readonly EpollLoop[] _loops;
    private readonly RealtimeHub _hub;
    private readonly SendfileResponder? _sendfile;
    private readonly SocketConnectionContextFactory _contexts;
    private readonly ILogger _logger;
    private readonly Channel<ConnectionContext> _forKestrel = Channel.CreateUnbounded<ConnectionContext>(new UnboundedChannelOptions { SingleReader = true });
    private ulong _token;
    private int _nextLoop;
    private int _unbound;

    public EpollListener(IPEndPoint endpoint, EpollLoop[] loops, RealtimeHub hub, SendfileResponder? sendfile, SocketConnectionContextFactory contexts, ILogger logger)
    {
        _sendfile = sendfile;
        _loops = loops;
        _hub = hub;
        _contexts = contexts;
        _logger = logger;
        _socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                _socket.DualMode = true;
            }

            _socket.Bind(endpoint);
            _socket.Listen(512);
            _socket.Blocking = false;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            _socket.Dispose();
            throw new AddressInUseException(ex.Message, ex);
        }

        EndPoint = _socket.LocalEndPoint!;
        _fd = (int)_socket.SafeHandle.DangerousGetHandle();
        using var registered = new ManualResetEventSlim();
        Exception? failure = null;
        _loops[0].Post(() =>
        {
            try
            {
                _token = _loops[0].Register(_fd, this, LinuxSockets.EpollIn);
            }
            catch (IOException ex)
            {
                failure = ex;
            }

            registered.Set();
        });
        registered.Wait();
        if (failure is not null)
        {
            _socket.Dispose();
            throw failure;
        }
    }

    public EndPoint EndPoint { get; }

    /// <summary>The listening socket is readable: take what is waiting and spread it over the loops.</summary>
    public void OnEvents(uint events)
    {
        for (var i = 0; i < MaxAcceptsPerEvent; i++)
        {
            var fd = LinuxSockets.Accept(_fd);
            if (fd == -LinuxSockets.EAgain)
            {
                return;
            }

            if (fd < 0)
            {
                if (LinuxSockets.IsResourceExhaustion(-fd))
                {
                    Log.AcceptFailed(_logger, -fd);
                    PauseAccepting(); // level-triggered: retrying at once would spin until descriptors free up
                    return;
                }

                continue; // the connection was reset while queued, or similar: take the next one
            }

            LinuxSockets.SetNoDelay(fd);
            var loop = _loops[(int)((uint)_nextLoop++ % (uint)_loops.Length)];
            if (loop.IsLoopThread)
            {
                NewConnection.Start(fd, loop, this, _hub, _sendfile);
            }
            else
            {
                loop.Post(() => NewConnection.Start(fd, loop, this, _hub, _sendfile));
            }
        }
    }

    /// <summary>Out of descriptors or memory: stop listening for readiness for a moment (loop 0's thread).</summary>
    private void PauseAccepting()
    {
        _loops[0].Unregister(_token, _fd);
        _ = ResumeAcceptingAsync();
    }

    private async Task ResumeAcceptingAsync()
    {
        await Task.Delay(AcceptPause);
        _loops[0].Post(() =>
        {
            if (Volatile.Read(ref _unbound) == 0)
            {
                _token = _loops[0].Register(_fd, this, LinuxSockets.EpollIn);
            }
        });
    }

    /// <summary>A socket that is not a realtime upgrade: Kestrel's from here on, with nothing read from it.</summary>
    public void HandToKestrel(int fd)
    {
        var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        if (Volatile.Read(ref _unbound) == 1 || !_forKestrel.Writer.TryWrite(_contexts.Create(socket)))
        {
            socket.Dispose();
        }
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            while (await _forKestrel.Reader.WaitToReadAsync(cancellationToken))
            {
                if (_forKestrel.Reader.TryRead(out var connection))
                {
                    return connection;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        return null; // unbound: Kestrel stops asking
    }

    /// <summary>Stops accepting; open connections (HTTP and realtime) carry on until they are closed.</summary>
    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _unbound, 1) == 0)
        {
            _loops[0].Post(() =>
            {
                _loops[0].Unregister(_token, _fd);
                _socket.Dispose();
            });
            _forKestrel.Writer.TryComplete();
        }

        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await UnbindAsync();
        while (_forKestrel.Reader.TryRead(out var connection))
        {
            await connection.DisposeAsync();
        }
    }
}
