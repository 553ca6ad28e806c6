using System.Net;
using MadBase.Edge.StorageApi.Sendfile;
using MadBase.Edge.WebSockets.Epoll;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace MadBase.Edge.Realtime.Sockets;

/// <summary>
/// Kestrel's transport when <c>MADBASE_REALTIME_TRANSPORT=epoll</c> (the default on Linux x86-64): binds IP endpoints
/// with <see cref="EpollListener"/> on a small set of <see cref="EpollLoop"/> threads (one per core, at most four)
/// shared by every endpoint. Kestrel uses the last registered factory that can bind an endpoint. Besides realtime sockets,
/// the loops answer plain public downloads of the file backend themselves (<see cref="PublicDownloadConnection"/>).
/// </summary>
/// <remarks>
/// Why: an idle realtime socket through Kestrel's socket transport keeps two pipes, a receiver, a sender, its async
/// loops and Kestrel's connection bookkeeping (about 3.5 KiB of managed objects measured here, before any of ours).
/// On the loop it is one descriptor and one <see cref="EpollWebSocketConnection"/>.
/// </remarks>
internal sealed class EpollListenerFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector, IDisposable
{
    private readonly RealtimeHub _hub;
    private readonly SendfileResponder? _sendfile;
    private readonly ILoggerFactory _loggers;
    private readonly SocketConnectionContextFactory _contexts;
    private readonly Lock _gate = new();
    private EpollLoop[]? _loops;

    public EpollListenerFactory(RealtimeHub hub, SendfileResponder sendfile, ILoggerFactory loggers)
    {
        _hub = hub;
        _sendfile = sendfile.Enabled ? sendfile : null;
        _loggers = loggers;
        _contexts = new SocketConnectionContextFactory(HttpMemoryPool.TransportOptions(), loggers.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets"));
    }

    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not IPEndPoint ip)
        {
            throw new NotSupportedException($"The epoll transport binds IP endpoints only, not {endpoint}.");
        }

        var logger = _loggers.CreateLogger("MadBase.Edge.Realtime.Sockets");
        return ValueTask.FromResult<IConnectionListener>(new EpollListener(ip, Loops(logger), _hub, _sendfile, _contexts, logger));
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var loop in _loops ?? [])
            {
                loop.Dispose();
            }

            _loops = null;
        }

        _contexts.Dispose();
    }

    private EpollLoop[] Loops(ILogger logger)
    {
        lock (_gate)
        {
            return _loops ??= [.. Enumerable.Range(0, Math.Clamp(Environment.ProcessorCount, 1, 4)).Select(i => new EpollLoop($"epoll-{i}", logger))];
        }
    }
}
