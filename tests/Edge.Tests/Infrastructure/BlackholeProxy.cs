using System.Net;
using System.Net.Sockets;

namespace MadBase.Edge.Tests.Infrastructure;

/// <summary>
/// A loopback TCP proxy that can cut the path the way a network does: <see cref="Cut"/> stops forwarding in both
/// directions without telling either side (nobody gets a FIN or RST; what the proxy had read is lost, as bytes in
/// flight are), and those connections never carry another byte: they stay open, half-open, until the proxy is
/// disposed. New connections are refused during the cut (a real one would time out after minutes of SYN retries;
/// refusing gets the client to its retry sooner). <see cref="Restore"/> accepts again. (<see cref="TcpProxy"/> is the
/// other kind: it closes everything, like a crashed server.)
/// </summary>
internal sealed class BlackholeProxy : IAsyncDisposable
{
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Link> _links = [];
    private readonly Lock _lock = new();
    private TcpListener _listener;

    public BlackholeProxy(int port, int target)
    {
        _target = target;
        Port = port;
        _listener = Listen();
    }

    public int Port { get; }

    public Uri BaseUri => new($"http://127.0.0.1:{Port}/");

    public void Cut()
    {
        lock (_lock)
        {
            _listener.Stop();
            foreach (var link in _links)
            {
                link.Dead = true;
            }
        }
    }

    public void Restore()
    {
        lock (_lock)
        {
            _listener = Listen();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        lock (_lock)
        {
            _listener.Stop();
            foreach (var link in _links)
            {
                link.Client.Dispose();
                link.Upstream?.Dispose();
            }
        }

        _stop.Dispose();
    }

    private TcpListener Listen()
    {
        var listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        _ = AcceptAsync(listener);
        return listener;
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        try
        {
            while (true)
            {
                var link = new Link(await listener.AcceptTcpClientAsync(_stop.Token));
                lock (_lock)
                {
                    _links.Add(link);
                }

                _ = ForwardAsync(link);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task ForwardAsync(Link link)
    {
        try
        {
            link.Upstream = new TcpClient();
            await link.Upstream.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
            await Task.WhenAny(PumpAsync(link, link.Client.GetStream(), link.Upstream.GetStream()), PumpAsync(link, link.Upstream.GetStream(), link.Client.GetStream()));
            if (!link.Dead)
            {
                link.Client.Dispose(); // one side closed while the path was up: pass the close on
                link.Upstream.Dispose();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException or IOException)
        {
        }
    }

    private async Task PumpAsync(Link link, NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (!link.Dead)
            {
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0 || link.Dead)
                {
                    return; // with a dead link, what was read is lost in the cut, as on a real network
                }

                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }

            await Task.Delay(Timeout.Infinite, _stop.Token); // cut: stay open, carry nothing
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or IOException)
        {
        }
    }

    private sealed class Link(TcpClient client)
    {
        private volatile bool _dead;

        public TcpClient Client { get; } = client;

        public TcpClient? Upstream { get; set; }

        public bool Dead
        {
            get => _dead;
            set => _dead = value;
        }
    }
}
