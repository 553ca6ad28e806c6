using System.Buffers;
using MadBase.Edge.StorageApi.Sendfile;
using MadBase.Edge.WebSockets.Epoll;
using MadBase.Protocol;
using MadBase.Protocol.Http;

namespace MadBase.Edge.Realtime.Sockets;

/// <summary>
/// A just-accepted socket on an <see cref="EpollLoop"/>, until it is either a realtime WebSocket or Kestrel's. Its
/// first bytes are peeked (nothing consumed): a request line for the realtime socket path is claimed, its head read
/// and parsed with <see cref="HttpUpgradeRequestReader"/> and answered with 101 (the descriptor then becomes an
/// <see cref="EpollWebSocketConnection"/>) or the refusal; a plain public download's becomes a
/// <see cref="PublicDownloadConnection"/> (when the store's bytes are local files); anything else goes to Kestrel untouched.
/// </summary>
/// <remarks>
/// The limits are the connection middleware's (and Kestrel's): a 32 KiB head (431 above it), 30 s to send it, and a
/// socket silent for 10 s goes to Kestrel, whose keep-alive and header timeouts take it from there.
/// </remarks>
internal sealed class NewConnection : IEpollHandler, IEpollDeadline
{
    /// <summary>Enough bytes to tell any request line from the socket path's ("GET /realtime/v1/websocket ").</summary>
    private const int SniffBytes = 32;

    private readonly int _fd;
    private readonly EpollLoop _loop;
    private readonly EpollListener _listener;
    private readonly RealtimeHub _hub;
    private readonly SendfileResponder? _sendfile;
    private ulong _token;
    private long _deadlineMs;
    private byte[]? _head;
    private int _headLength;
    private bool _claimed;
    private bool _done;

    private NewConnection(int fd, EpollLoop loop, EpollListener listener, RealtimeHub hub, SendfileResponder? sendfile)
    {
        _sendfile = sendfile;
        _fd = fd;
        _loop = loop;
        _listener = listener;
        _hub = hub;
    }

    /// <summary>Registers an accepted descriptor with <paramref name="loop"/> (on its thread).</summary>
    /// <param name="sendfile">Null when public downloads are not answered on the loops.</param>
    public static void Start(int fd, EpollLoop loop, EpollListener listener, RealtimeHub hub, SendfileResponder? sendfile)
    {
        var connection = new NewConnection(fd, loop, listener, hub, sendfile);
        try
        {
            // Edge-triggered for everything at once: the registration never changes for the socket's whole life.
            connection._token = loop.Register(fd, connection, LinuxSockets.EpollIn | LinuxSockets.EpollOut | LinuxSockets.EpollRdHup | LinuxSockets.EpollEdgeTriggered);
        }
        catch (IOException)
        {
            LinuxSockets.Close(fd);
            return;
        }

        connection._deadlineMs = Environment.TickCount64 + (long)RealtimeHandshake.SniffTimeout.TotalMilliseconds;
        loop.Watch(connection);
    }

    public void OnEvents(uint events)
    {
        if (_done || (events & (LinuxSockets.EpollIn | LinuxSockets.EpollRdHup | LinuxSockets.EpollHup | LinuxSockets.EpollErr)) == 0)
        {
            return; // the first EPOLLOUT edge of a fresh socket: nothing to do until the client speaks
        }

        if (!_claimed && !Sniff(events))
        {
            return;
        }

        ReadHead(events);
    }

    /// <returns>True when the socket is claimed and its head should be read now.</returns>
    private bool Sniff(uint events)
    {
        var peek = _loop.ReceiveBuffer;
        var n = LinuxSockets.Receive(_fd, peek.AsSpan(0, SniffBytes), peek: true);
        if (n == -LinuxSockets.EAgain)
        {
            return false;
        }

        if (n <= 0)
        {
            Drop();
            return false;
        }

        if (_sendfile is not null)
        {
            switch (PublicGetHead.MatchStart(peek.AsSpan(0, n)))
            {
                case PublicGetMatch.Plain:
                    Settle();
                    PublicDownloadConnection.Adopt(_fd, _loop, _token, _listener, _sendfile, events);
                    return false;
                case PublicGetMatch.NeedMore when n < SniffBytes:
                    return false;
            }
        }

        switch (RealtimeHandshake.MatchRequestLine(new ReadOnlySequence<byte>(peek, 0, n)))
        {
            case HttpRequestLineMatch.Match:
                _claimed = true;
                _deadlineMs = Environment.TickCount64 + (long)RealtimeHandshake.HeadTimeout.TotalMilliseconds;
                return true;
            case HttpRequestLineMatch.NeedMore when n < SniffBytes:
                return false; // edge-triggered: the next bytes raise a new event
            default:
                HandToKestrel();
                return false;
        }
    }

    private void ReadHead(uint events)
    {
        while (true)
        {
            if (_head is null || _head.Length == _headLength)
            {
                var larger = ArrayPool<byte>.Shared.Rent(_head is null ? 4096 : _head.Length * 2);
                _head?.AsSpan(0, _headLength).CopyTo(larger);
                if (_head is not null)
                {
                    ArrayPool<byte>.Shared.Return(_head);
                }

                _head = larger;
            }

            var n = LinuxSockets.Receive(_fd, _head.AsSpan(_headLength));
            if (n == -LinuxSockets.EAgain)
            {
                return;
            }

            if (n <= 0)
            {
                Drop(); // the client went away mid-head
                return;
            }

            _headLength += n;
            HttpUpgradeRequest? request;
            SequencePosition end;
            var buffer = new ReadOnlySequence<byte>(_head, 0, _headLength);
            try
            {
                if (!HttpUpgradeRequestReader.TryRead(buffer, RealtimeHandshake.MaxHeadBytes, out request, out end))
                {
                    continue;
                }
            }
            catch (ProtocolException ex) when (ex.Reason is HttpHeadError error)
            {
                Refuse(RealtimeHandshake.BadHead(error, ex.Message));
                return;
            }

            Upgrade(request!, (int)buffer.Slice(0, end).Length, events);
            return;
        }
    }

    private void Upgrade(HttpUpgradeRequest request, int headLength, uint events)
    {
        if (!RealtimeHandshake.TryAccept(_hub, request, out var accepted, out var refusal))
        {
            Refuse(refusal);
            return;
        }

        // A fresh socket's send buffer is empty: the 101 (under 200 bytes) goes out whole or the peer is gone.
        Span<byte> response = stackalloc byte[RealtimeHandshake.SwitchingProtocolsLength];
        RealtimeHandshake.WriteSwitchingProtocols(accepted.Accept, response);
        if (LinuxSockets.Send(_fd, response) != response.Length)
        {
            Drop();
            return;
        }

        Settle();
        var socket = new EpollWebSocketConnection(_fd, _loop, _token, _hub.Limits, _hub.Time, _hub.Logger, _hub.SocketMetrics);
        _loop.Replace(_token, socket);
        var session = RealtimeHandshake.StartSession(_hub, socket, accepted);
        socket.Start(session, _head.AsSpan(headLength, _headLength - headLength));
        ReturnHead();

        // Edge-triggered: bytes that arrived behind the head (or a hang-up) raise no new event, so the socket reads
        // what is already there now, until EAGAIN.
        socket.OnEvents(LinuxSockets.EpollIn | (events & (LinuxSockets.EpollRdHup | LinuxSockets.EpollHup | LinuxSockets.EpollErr)));
    }

    private void Refuse(HandshakeRefusal refusal)
    {
        LinuxSockets.Send(_fd, RealtimeHandshake.RefusalResponse(refusal));
        LinuxSockets.ShutdownWrite(_fd);
        Drop();
    }

    /// <summary>The loop's once-a-second check: past the sniff or head deadline, the socket moves on.</summary>
    public bool OnTick(long nowMs)
    {
        if (_done)
        {
            return true;
        }

        if (nowMs < _deadlineMs)
        {
            return false;
        }

        if (_claimed)
        {
            Drop(); // the head did not arrive in time: drop the connection, as Kestrel does
        }
        else
        {
            HandToKestrel(); // silent so far: Kestrel's keep-alive and header timeouts take it from here
        }

        return true;
    }

    private void HandToKestrel()
    {
        Settle();
        _loop.Unregister(_token, _fd);
        ReturnHead();
        _listener.HandToKestrel(_fd);
    }

    private void Drop()
    {
        Settle();
        _loop.Unregister(_token, _fd);
        ReturnHead();
        LinuxSockets.Close(_fd);
    }

    /// <summary>This object is done with the socket either way: no more events; the next tick stops watching it.</summary>
    private void Settle() => _done = true;

    private void ReturnHead()
    {
        if (_head is not null)
        {
            ArrayPool<byte>.Shared.Return(_head);
            _head = null;
        }
    }
}
