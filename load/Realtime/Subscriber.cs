using System.Buffers;
using System.Net.Sockets;
using MadBase.Load.Net;
using MadBase.Protocol.WebSockets;

namespace MadBase.Load.Realtime;

/// <summary>
/// One subscriber connection. Receive-side state is touched only by its receiver (one epoll thread, or its own receive task);
/// sends (pongs from that thread, heartbeats from the pool's timer) are serialized by a lock so frames never interleave.
/// </summary>
internal sealed class Subscriber
{
    private readonly Lock _sendLock = new();
    private volatile bool _closed;
    private int _heartbeatReplies;

    public Subscriber(int id, Socket socket, byte[] leftover)
    {
        Id = id;
        Socket = socket;
        Fd = (int)socket.Handle;
        Carry = leftover;
        CarryLength = leftover.Length;
    }

    public int Id { get; }

    public Socket Socket { get; }

    public int Fd { get; }

    /// <summary>Bytes of an incomplete frame kept between reads (the shared read buffer is reused for every socket).</summary>
    public byte[] Carry { get; set; }

    public int CarryLength { get; set; }

    /// <summary>Payload of a fragmented message in progress; servers under test normally send single frames.</summary>
    public ArrayBufferWriter<byte>? Fragments { get; set; }

    public WebSocketOpcode FragmentOpcode { get; set; }

    public bool Subscribed { get; set; }

    /// <summary>When the join reply arrived (µs, <see cref="Clock"/>); 0 before.</summary>
    public long SubscribedMicros { get; set; }

    /// <summary>When the subscribe frame was sent (µs, <see cref="Clock"/>).</summary>
    public long SubscribeSentMicros { get; set; }

    /// <summary>Replies to Phoenix heartbeats received on this connection (written by its receiver only).</summary>
    public int HeartbeatReplies
    {
        get => Volatile.Read(ref _heartbeatReplies);
        set => Volatile.Write(ref _heartbeatReplies, value);
    }

    /// <summary>The client's row record, carried over to its next connection on a reconnect; null when not tracked.</summary>
    public RowTrack? Track { get; set; }

    /// <summary>Set once, by <see cref="Close"/>; read by the heartbeat timer and the pool without the lock.</summary>
    public bool Closed => _closed;

    /// <summary>Sends a complete masked frame; false if the connection is gone (its receiver reports that).</summary>
    public bool TrySend(ReadOnlySpan<byte> frame)
    {
        lock (_sendLock)
        {
            if (Closed)
            {
                return false;
            }

            try
            {
                WsHandshake.SendAll(Socket, frame);
                return true;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return false;
            }
        }
    }

    /// <summary>Marks the connection closed and releases the socket with an abortive close (no TIME_WAIT).</summary>
    public void Close()
    {
        lock (_sendLock)
        {
            _closed = true;
            Socket.Dispose();
        }
    }
}
