using MadBase.Edge.Objects;
using MadBase.Edge.StorageApi;
using MadBase.Edge.StorageApi.Sendfile;
using MadBase.Edge.WebSockets.Epoll;

namespace MadBase.Edge.Realtime.Sockets;

/// <summary>
/// A keep-alive connection whose requests are plain public downloads (<see cref="PublicGetHead"/>), answered on its
/// <see cref="EpollLoop"/> with <c>sendfile</c> (<see cref="SendfileResponder"/>) one after another, until a request
/// that is not one arrives: the socket then goes to Kestrel with that request unread (it was only peeked), and Kestrel
/// serves it and the rest of the connection as if it had had it from the start.
/// </summary>
/// <remarks>
/// <para>Each request's head is only peeked until the response is prepared (row held or read, file opened); only then is
/// it consumed, so every decline hands Kestrel an untouched request. Pipelined requests are served in order: the next
/// head is looked at only after the previous response is sent whole.</para>
/// <para>Limits: a response whose socket takes no byte for 60 s is dropped (nginx's <c>send_timeout</c>: the time between
/// two successive writes, not for the whole response); a connection silent between requests for 10 s, or holding a head
/// that is not complete by then, goes to Kestrel, whose keep-alive and header timeouts take it from there.</para>
/// <para>A row not held makes the connection wait for its query (on the thread pool) with its events ignored; a held
/// row is read again in the background before it expires (<see cref="PublicRowCache"/>), so a hot object's requests
/// never wait.</para>
/// </remarks>
internal sealed class PublicDownloadConnection : IEpollHandler, IEpollDeadline
{
    /// <summary>How long a response may wait for room in its socket before the connection is dropped.</summary>
    private const long SendStallMs = 60_000;

    /// <summary>
    /// Responses in one turn of the loop: a client that sends its next request as fast as the last response leaves
    /// would otherwise keep the loop's thread, and every other socket on it waits (seen: p99 1.3 s with 16 connections).
    /// </summary>
    private const int ResponsesPerTurn = 16;

    private readonly int _fd;
    private readonly EpollLoop _loop;
    private readonly ulong _token;
    private readonly EpollListener _listener;
    private readonly SendfileResponder _responder;

    // The last target this connection asked for, decoded: a client fetching the same object again skips the decoding.
    private byte[] _lastRawTarget = [];
    private ObjectTarget _lastTarget;

    private SendfileResponse _response;
    private bool _sending;
    private int _headSent;
    private long _fileOffset;
    private long _lastProgressMs;
    private long _idleDeadlineMs;
    private bool _waitingForRow;
    private bool _done;
    private Action? _nextTurn;

    private PublicDownloadConnection(int fd, EpollLoop loop, ulong token, EpollListener listener, SendfileResponder responder)
    {
        _fd = fd;
        _loop = loop;
        _token = token;
        _listener = listener;
        _responder = responder;
    }

    /// <summary>Takes over a socket <see cref="NewConnection"/> registered (on the loop's thread) whose first bytes start a public download.</summary>
    public static void Adopt(int fd, EpollLoop loop, ulong token, EpollListener listener, SendfileResponder responder, uint events)
    {
        var connection = new PublicDownloadConnection(fd, loop, token, listener, responder);
        loop.Replace(token, connection);
        connection.StartIdle();
        loop.Watch(connection);
        connection.OnEvents(LinuxSockets.EpollIn | events);
    }

    public void OnEvents(uint events)
    {
        if (_done || _waitingForRow)
        {
            return; // waiting: the row's arrival looks at the socket again
        }

        if (_sending)
        {
            if ((events & (LinuxSockets.EpollHup | LinuxSockets.EpollErr)) != 0)
            {
                Drop(SendfileEnd.PeerGone);
                return;
            }

            if (!ContinueSending())
            {
                return;
            }
        }

        ServeRequests();
    }

    /// <summary>Serves the requests waiting in the receive queue, one by one, until it is empty or one is not ours.</summary>
    private void ServeRequests()
    {
        var buffer = _loop.ReceiveBuffer;
        for (var served = 0; !_done; served++)
        {
            if (served == ResponsesPerTurn)
            {
                // Edge-triggered: what is already queued raises no new event, so the rest is picked up in a later turn.
                _loop.Post(_nextTurn ??= ContinueInNextTurn);
                return;
            }

            var n = LinuxSockets.Receive(_fd, buffer.AsSpan(0, PublicGetHead.MaxHeadBytes), peek: true);
            if (n == -LinuxSockets.EAgain)
            {
                return; // edge-triggered: the next bytes raise a new event
            }

            if (n <= 0)
            {
                Drop(SendfileEnd.PeerGone); // the client closed between requests (or the socket failed): no response was on its way
                return;
            }

            var peeked = buffer.AsSpan(0, n);
            switch (PublicGetHead.Read(peeked, _responder.AnyOrigin, out var rawTarget, out var headLength))
            {
                case PublicGetMatch.NeedMore:
                    return;
                case PublicGetMatch.NotOurs:
                    HandToKestrel();
                    return;
            }

            if (!TryTarget(peeked[rawTarget], out var target))
            {
                HandToKestrel();
                return;
            }

            var find = _responder.FindAsync(target);
            if (!find.IsCompleted)
            {
                WaitForRow(find.AsTask(), headLength);
                return;
            }

            if (!find.IsCompletedSuccessfully)
            {
                _ = find.AsTask().Exception; // observed: Kestrel's route asks again and answers the failure
                HandToKestrel();
                return;
            }

            if (!Respond(find.Result, headLength))
            {
                return; // handed off, dropped, or still sending (EPOLLOUT continues)
            }
        }
    }

    private void ContinueInNextTurn()
    {
        if (!_done && !_waitingForRow && !_sending)
        {
            ServeRequests();
        }
    }

    /// <summary>The row was not held: its query runs on the thread pool, and the loop picks the request up again when it ends.</summary>
    private void WaitForRow(Task<(bool PublicBucket, ObjectRecord? Row)> find, int headLength)
    {
        _waitingForRow = true;
        find.ContinueWith(
            (done, state) =>
            {
                var self = (PublicDownloadConnection)state!;
                self._loop.Post(() => self.RowArrived(done, headLength));
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
    }

    private void RowArrived(Task<(bool PublicBucket, ObjectRecord? Row)> find, int headLength)
    {
        _waitingForRow = false;
        if (_done)
        {
            return;
        }

        if (!find.IsCompletedSuccessfully)
        {
            _ = find.Exception;
            HandToKestrel();
            return;
        }

        // The head is still first in the receive queue (only peeked); anything that arrived meanwhile is behind it.
        if (Respond(find.Result, headLength))
        {
            ServeRequests();
        }
    }

    /// <returns>True when the response went out whole and the next request may be looked at.</returns>
    private bool Respond((bool PublicBucket, ObjectRecord? Row) answer, int headLength)
    {
        if (!_responder.TryPrepare(answer, out var response))
        {
            HandToKestrel();
            return false;
        }

        _response = response;
        _sending = true;
        _headSent = 0;
        _fileOffset = 0;
        _lastProgressMs = Environment.TickCount64;
        if (LinuxSockets.Receive(_fd, _loop.ReceiveBuffer.AsSpan(0, headLength)) != headLength)
        {
            Drop(SendfileEnd.PeerGone); // it was there a moment ago: only a failed socket loses it
            return false;
        }

        return ContinueSending();
    }

    /// <returns>True once the response is sent whole; false while the socket has no room (EPOLLOUT continues) or after a drop.</returns>
    private bool ContinueSending()
    {
        var response = _response;
        var head = response.Head.Length + response.DateAndEnd.Length;
        while (_headSent < head)
        {
            var inHead = _headSent < response.Head.Length;
            var bytes = inHead ? response.Head.AsSpan(_headSent) : response.DateAndEnd.AsSpan(_headSent - response.Head.Length);
            var n = LinuxSockets.Send(_fd, bytes, more: inHead || response.Length > 0); // the head leaves with the body's start
            if (n == -LinuxSockets.EAgain)
            {
                return false;
            }

            if (n < 0)
            {
                Drop(SendfileEnd.PeerGone);
                return false;
            }

            _headSent += n;
            _lastProgressMs = Environment.TickCount64;
        }

        while (_fileOffset < response.Length)
        {
            var n = LinuxSockets.SendFile(_fd, response.File, ref _fileOffset, response.Length - _fileOffset);
            if (n == -LinuxSockets.EAgain)
            {
                return false;
            }

            if (n <= 0)
            {
                // 0: the file is shorter than its row says; the client sees the cut (as Kestrel's road aborts a body short of its length), never other bytes
                Drop(n == 0 ? SendfileEnd.FileShort : SendfileEnd.PeerGone);
                return false;
            }

            _lastProgressMs = Environment.TickCount64;
        }

        _sending = false;
        _responder.Finished(response, SendfileEnd.Whole, _fileOffset);
        StartIdle();
        return true;
    }

    private bool TryTarget(ReadOnlySpan<byte> raw, out ObjectTarget target)
    {
        if (raw.SequenceEqual(_lastRawTarget))
        {
            target = _lastTarget;
            return true;
        }

        try
        {
            // Decoded and checked as the Kestrel route decodes it (the raw target, percent-decoded).
            target = StorageApiEndpoints.Target(System.Text.Encoding.ASCII.GetString(raw)).Validate();
        }
        catch (StorageException)
        {
            target = default;
            return false;
        }

        _lastRawTarget = raw.ToArray();
        _lastTarget = target;
        return true;
    }

    private void StartIdle() => _idleDeadlineMs = Environment.TickCount64 + (long)RealtimeHandshake.SniffTimeout.TotalMilliseconds;

    /// <summary>The loop's once-a-second check: a response stalled too long, or a connection idle too long.</summary>
    public bool OnTick(long nowMs)
    {
        if (_done)
        {
            return true;
        }

        if (_waitingForRow)
        {
            return false;
        }

        if (_sending)
        {
            if (nowMs - _lastProgressMs > SendStallMs)
            {
                Drop(SendfileEnd.Stalled);
                return true;
            }

            return false;
        }

        if (nowMs < _idleDeadlineMs)
        {
            return false;
        }

        HandToKestrel();
        return true;
    }

    private void HandToKestrel()
    {
        _done = true;
        _loop.Unregister(_token, _fd);
        _listener.HandToKestrel(_fd);
    }

    /// <summary>Closes the connection; a response on its way is counted as ended by <paramref name="cut"/>.</summary>
    private void Drop(SendfileEnd cut)
    {
        _done = true;
        if (_sending)
        {
            _sending = false;
            _responder.Finished(_response, cut, _fileOffset);
        }

        _loop.Unregister(_token, _fd);
        LinuxSockets.Close(_fd);
    }
}
