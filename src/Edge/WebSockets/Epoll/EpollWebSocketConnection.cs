using System.Buffers;

namespace MadBase.Edge.WebSockets.Epoll;

/// <summary>
/// A <see cref="WebSocketConnection"/> on a raw descriptor in an <see cref="EpollLoop"/>: the state of one open
/// realtime socket is this object, its session and its queue: no pipes, no transport buffers, no async state machines.
/// It only moves bytes: reads run inline on the loop thread (this file) into the loop's shared buffer and are handed
/// to the core; only an incomplete frame's bytes are kept. Writes run as a thread-pool work item when the queue wakes
/// the writer (<c>.Send.cs</c>).
/// </summary>
/// <remarks>
/// The descriptor is reference counted: the connection holds one reference until it is unregistered from the loop,
/// and the reader and the writer each take one while they use it, so it is closed exactly once and never while a
/// syscall on it is running (a closed descriptor number is reused at once by the next accept).
/// </remarks>
internal sealed partial class EpollWebSocketConnection : WebSocketConnection, IEpollHandler
{
    /// <summary>Room kept free in the buffer of an incomplete frame before each read into it.</summary>
    private const int MinReadSpace = 4096;

    private readonly int _fd;
    private readonly EpollLoop _loop;
    private readonly ulong _token;
    private IWebSocketMessageHandler? _handler;
    private int _refs = 1;

    // Read side: the loop thread only.
    private byte[]? _partial;
    private int _partialLength;

    public EpollWebSocketConnection(int fd, EpollLoop loop, ulong token, WebSocketLimits limits, TimeProvider time, ILogger logger, WebSocketMetrics metrics)
        : base(limits, time, logger, metrics)
    {
        _fd = fd;
        _loop = loop;
        _token = token;
    }

    /// <summary>
    /// Starts serving (loop thread, right after the 101): arms the writer and decodes <paramref name="early"/>, the
    /// bytes that came in the same reads as the handshake head.
    /// </summary>
    public void Start(IWebSocketMessageHandler handler, ReadOnlySpan<byte> early)
    {
        _handler = handler;
        if (Outbound.HasWorkOrArm())
        {
            ScheduleWrite(); // frames queued (or a Close) between the session's registration and now
        }

        if (!early.IsEmpty)
        {
            var copy = ArrayPool<byte>.Shared.Rent(Math.Max(early.Length, MinReadSpace));
            early.CopyTo(copy);
            _partial = copy;
            _partialLength = early.Length;
            DecodePartial();
        }
    }

    public void OnEvents(uint events)
    {
        if ((events & LinuxSockets.EpollOut) != 0)
        {
            OnWritable();
        }

        if ((events & (LinuxSockets.EpollIn | LinuxSockets.EpollRdHup | LinuxSockets.EpollHup | LinuxSockets.EpollErr)) != 0)
        {
            OnReadable(drainToEnd: (events & (LinuxSockets.EpollRdHup | LinuxSockets.EpollHup | LinuxSockets.EpollErr)) != 0);
        }
    }

    /// <summary>The peer never answered our Close: the server drops the connection.</summary>
    protected override void OnCloseDeadline() => Finish();

    /// <summary>
    /// Reads until the socket has nothing more (edge-triggered: the next byte raises a new event). A read that fills
    /// less than asked means the socket was drained, so no extra EAGAIN read is made unless the peer also hung up.
    /// </summary>
    private void OnReadable(bool drainToEnd)
    {
        if (HasEnded || !TryAcquire())
        {
            return;
        }

        try
        {
            while (true)
            {
                var target = ReadTarget();
                var n = LinuxSockets.Receive(_fd, target);
                if (n == -LinuxSockets.EAgain)
                {
                    return;
                }

                if (n <= 0)
                {
                    Finish(); // end of stream or reset: the peer is gone (after its Close, or without one)
                    return;
                }

                Received(n);
                if (HasEnded || (n < target.Length && !drainToEnd))
                {
                    return;
                }
            }
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Into the incomplete frame's buffer when there is one, else into the loop's shared buffer.</summary>
    private Span<byte> ReadTarget()
    {
        if (_partial is null)
        {
            return _loop.ReceiveBuffer;
        }

        if (_partial.Length - _partialLength < MinReadSpace)
        {
            var larger = ArrayPool<byte>.Shared.Rent(_partial.Length * 2);
            _partial.AsSpan(0, _partialLength).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_partial);
            _partial = larger;
        }

        return _partial.AsSpan(_partialLength);
    }

    private void Received(int count)
    {
        if (_partial is not null)
        {
            _partialLength += count;
            DecodePartial();
            return;
        }

        var shared = _loop.ReceiveBuffer;
        var consumed = Decode(shared, count);
        if (consumed < count)
        {
            // Keep the start of the next frame; the decoder caps a frame at the message limit, so this stays bounded.
            var left = count - consumed;
            _partial = ArrayPool<byte>.Shared.Rent(Math.Max(left, MinReadSpace));
            shared.AsSpan(consumed, left).CopyTo(_partial);
            _partialLength = left;
        }
    }

    private void DecodePartial()
    {
        var consumed = Decode(_partial!, _partialLength);
        var left = _partialLength - consumed;
        if (left == 0)
        {
            ArrayPool<byte>.Shared.Return(_partial!);
            _partial = null;
            _partialLength = 0;
            return;
        }

        if (consumed > 0)
        {
            _partial.AsSpan(consumed, left).CopyTo(_partial);
            _partialLength = left;
        }
    }

    /// <summary>Hands the core the bytes at the start of <paramref name="data"/>; the bytes it consumed.</summary>
    private int Decode(byte[] data, int length)
    {
        var buffer = new ReadOnlySequence<byte>(data, 0, length);
        if (!Receive(ref buffer, _handler!) && CloseHandshakeDone)
        {
            Finish(); // both Close frames are through: the server closes TCP first (RFC 6455 §7.1.1)
        }

        return length - (int)buffer.Length;
    }

    /// <summary>
    /// Ends the connection (any thread, idempotent): no more frames are taken, the loop forgets the descriptor, the
    /// session hears <see cref="IWebSocketMessageHandler.OnClosed"/> once, and the descriptor closes when no reader
    /// or writer is still using it.
    /// </summary>
    private void Finish()
    {
        if (!TryEnd())
        {
            return;
        }

        Outbound.Complete();
        if (_loop.IsLoopThread)
        {
            Unregister();
        }
        else
        {
            _loop.Post(Unregister);
        }
    }

    private void Unregister()
    {
        _loop.Unregister(_token, _fd);
        _handler?.OnClosed();
        Release(); // the connection's own reference
    }

    private bool TryAcquire()
    {
        var refs = Volatile.Read(ref _refs);
        while (refs > 0)
        {
            var seen = Interlocked.CompareExchange(ref _refs, refs + 1, refs);
            if (seen == refs)
            {
                return true;
            }

            refs = seen;
        }

        return false;
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _refs) != 0)
        {
            return;
        }

        // Nobody reads or writes any more: the descriptor and every buffer can go.
        LinuxSockets.Close(_fd);
        if (_partial is not null)
        {
            ArrayPool<byte>.Shared.Return(_partial);
            _partial = null;
        }

        ReleasePending();
        ReleaseMessageBuffer();
    }
}
