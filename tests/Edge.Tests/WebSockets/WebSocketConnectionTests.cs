using System.Buffers;
using System.Buffers.Binary;
using MadBase.Edge.Diagnostics;
using MadBase.Edge.Tests.Realtime;
using MadBase.Edge.WebSockets;
using MadBase.Protocol.WebSockets;
using Microsoft.Extensions.Logging.Abstractions;

namespace MadBase.Edge.Tests.WebSockets;

/// <summary>
/// The connection core in process, through a transport that only moves bytes (as Epoll/ and Pipe/ do): the frame
/// rules, the error → close code mapping, the closing handshake and its deadline are the core's, so both transports
/// get exactly what these tests show.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class WebSocketConnectionTests
{
    private static readonly WebSocketLimits s_limits = new(MaxMessageBytes: 1024, OutboundQueueCapacity: 16, OutboundFullGrace: TimeSpan.FromSeconds(1));

    private readonly TimerClock _time = new();

    [Fact]
    public void Receive_FramesSplitAnywhere_DeliversWholeMessagesInOrder()
    {
        var connection = NewConnection();
        var bytes = RawWebSocket.ClientFrame(WebSocketOpcode.Text, "first"u8).Concat(RawWebSocket.ClientFrame(WebSocketOpcode.Text, "second"u8)).ToArray();

        var kept = Array.Empty<byte>();
        foreach (var chunk in bytes.Chunk(3))
        {
            kept = [.. kept, .. chunk];
            Assert.True(connection.Feed(ref kept));
        }

        Assert.Empty(kept);
        Assert.Equal(["first", "second"], connection.Messages);
    }

    [Fact]
    public void Receive_Ping_QueuesThePongWithTheSamePayload()
    {
        var connection = NewConnection();
        var bytes = RawWebSocket.ClientFrame(WebSocketOpcode.Ping, "hi"u8);

        Assert.True(connection.Feed(ref bytes));

        var written = connection.WriteAll();
        Assert.Equal(new byte[] { 0x8A, 2, (byte)'h', (byte)'i' }, written.Frames.Single());
        Assert.Null(written.Close);
    }

    [Fact]
    public void Receive_Pong_ReachesTheHandlerAndQueuesNothing()
    {
        var connection = NewConnection();
        var bytes = RawWebSocket.ClientFrame(WebSocketOpcode.Pong, [0, 0, 0, 0, 0, 0, 0, 7]);

        Assert.True(connection.Feed(ref bytes));

        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 7 }, connection.Pongs.Single());
        Assert.Empty(connection.WriteAll().Frames);
    }

    [Fact]
    public void TryQueuePing_LeavesAnIdleWriterAsleep_UntilTheNextWriteOrFlushQueued()
    {
        var connection = NewConnection();
        Assert.Empty(connection.WriteAll().Frames); // the writer is idle and armed

        Assert.True(connection.TryQueuePing([1, 2]));
        Assert.Equal(0, connection.Wakes); // a proof ping rides with the next send rather than costing one

        connection.FlushQueued();
        Assert.Equal(1, connection.Wakes);
        Assert.Equal(new byte[] { 0x89, 2, 1, 2 }, connection.WriteAll().Frames.Single());

        connection.FlushQueued(); // nothing queued: no wake-up
        Assert.Equal(1, connection.Wakes);
    }

    [Fact]
    public void TryQueuePing_QueueFull_RefusedWithoutCountingADrop()
    {
        var connection = NewConnection();
        for (var i = 0; i < s_limits.OutboundQueueCapacity; i++)
        {
            Assert.True(connection.Outbound.TryEnqueue(new OutboundFrame(WebSocketFrames.Pong([]))));
        }

        Assert.False(connection.TryQueuePing([1]));
        Assert.Equal(0, connection.Outbound.Dropped);
    }

    [Theory]
    [InlineData(false, WebSocketCloseStatus.ProtocolError)] // an unmasked client frame (RFC 6455 §5.1)
    [InlineData(true, WebSocketCloseStatus.InvalidPayloadData)] // a Text message that is not UTF-8 (§8.1)
    public void Receive_BadFrame_EndsReadingAndClosesWithItsCode(bool masked, ushort expected)
    {
        var connection = NewConnection();
        var bytes = masked
            ? RawWebSocket.ClientFrame(WebSocketOpcode.Text, [0xC3, 0x28])
            : [0x81, 1, (byte)'x'];

        Assert.False(connection.Feed(ref bytes));
        var more = RawWebSocket.ClientFrame(WebSocketOpcode.Text, "after"u8);
        Assert.False(connection.Feed(ref more)); // read on only to see the end of the stream: nothing is decoded
        Assert.Empty(more);

        Assert.Empty(connection.Messages);
        Assert.Equal(expected, CloseCode(connection.WriteAll().Close));
    }

    [Fact]
    public void Receive_MessageOverTheLimit_Closes1009()
    {
        var connection = NewConnection();
        var bytes = RawWebSocket.ClientFrame(WebSocketOpcode.Binary, new byte[s_limits.MaxMessageBytes + 1]);

        Assert.False(connection.Feed(ref bytes));

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, CloseCode(connection.WriteAll().Close));
    }

    [Fact]
    public void Receive_HandlerThrows_Closes1011()
    {
        var connection = NewConnection(throwOnMessage: true);
        var bytes = RawWebSocket.ClientFrame(WebSocketOpcode.Text, "boom"u8);

        Assert.False(connection.Feed(ref bytes));

        Assert.Equal(WebSocketCloseStatus.InternalServerError, CloseCode(connection.WriteAll().Close));
    }

    [Fact]
    public void PeerClose_IsEchoedAfterQueuedFramesAndNoDeadlineIsArmed()
    {
        var connection = NewConnection();
        connection.Outbound.TryEnqueue(new OutboundFrame([0x81, 1, (byte)'q']));
        var bytes = RawWebSocket.ClientFrame(WebSocketOpcode.Close, [0x03, 0xE8]);

        Assert.False(connection.Feed(ref bytes));

        var written = connection.WriteAll();
        Assert.Single(written.Frames);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, CloseCode(written.Close));
        Assert.True(connection.HandshakeDoneAfterCloseWritten());
        Assert.Empty(_time.Timers);
    }

    [Fact]
    public void PeerCloseWithoutCode_IsAnsweredWithAnEmptyClose()
    {
        var connection = NewConnection();
        var bytes = RawWebSocket.ClientFrame(WebSocketOpcode.Close, []);

        Assert.False(connection.Feed(ref bytes));

        Assert.Equal(new byte[] { 0x88, 0 }, connection.WriteAll().Close);
    }

    [Fact]
    public void ServerClose_ArmsOneDeadlineOfTwoHandshakeTimeouts_ThatEndsTheConnection()
    {
        var connection = NewConnection();

        connection.Close(WebSocketCloseStatus.GoingAway, "shutdown");
        connection.Close(WebSocketCloseStatus.PolicyViolation, "second call is ignored");

        var timer = Assert.Single(_time.Timers);
        Assert.Equal(s_limits.CloseHandshakeTimeout * 2, timer.DueTime);
        Assert.Equal(WebSocketCloseStatus.GoingAway, CloseCode(connection.WriteAll().Close));
        Assert.Equal(0, connection.Deadlines);

        timer.Fire();

        Assert.Equal(1, connection.Deadlines);
    }

    [Fact]
    public void AfterServerClose_DataFramesAreSkippedUntilThePeersClose()
    {
        var connection = NewConnection();
        connection.Close(WebSocketCloseStatus.GoingAway, "");
        var bytes = RawWebSocket.ClientFrame(WebSocketOpcode.Text, "late"u8).Concat(RawWebSocket.ClientFrame(WebSocketOpcode.Close, [0x03, 0xE9])).ToArray();

        Assert.False(connection.Feed(ref bytes));

        Assert.Empty(connection.Messages);
        Assert.True(connection.PeerClosed);
    }

    [Fact]
    public void Overflow_DiscardsTheBacklogSoTheCloseGoesOutNext()
    {
        var connection = NewConnection();
        for (var i = 0; i < s_limits.OutboundQueueCapacity + 1; i++)
        {
            connection.Outbound.TryEnqueue(new OutboundFrame([0x81, 1, (byte)'x']));
        }

        _time.Advance(s_limits.OutboundFullGrace);
        connection.Outbound.TryEnqueue(new OutboundFrame([0x81, 1, (byte)'x']));

        var written = connection.WriteAll();
        Assert.Empty(written.Frames);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, CloseCode(written.Close));
    }

    [Fact]
    public void Writer_IsWokenOnceAfterItArmed()
    {
        var connection = NewConnection();
        Assert.Null(connection.WriteAll().Close); // idle: the queue is armed
        Assert.Equal(0, connection.Wakes);

        connection.Outbound.TryEnqueue(new OutboundFrame([1]));
        connection.Outbound.TryEnqueue(new OutboundFrame([2]));

        Assert.Equal(1, connection.Wakes);
        Assert.Equal(2, connection.WriteAll().Frames.Count);
    }

    private static ushort? CloseCode(byte[]? close) =>
        close is null ? null : BinaryPrimitives.ReadUInt16BigEndian(close.AsSpan(2));

    private BytesConnection NewConnection(bool throwOnMessage = false) => new(s_limits, _time, throwOnMessage);

    /// <summary>The thinnest transport: bytes in through the core, the core's write steps out into lists.</summary>
    private sealed class BytesConnection(WebSocketLimits limits, TimeProvider time, bool throwOnMessage)
        : WebSocketConnection(limits, time, NullLogger.Instance, new WebSocketMetrics(new EdgeMetrics())), IWebSocketMessageHandler
    {
        public List<string> Messages { get; } = [];

        public List<byte[]> Pongs { get; } = [];

        public int Wakes { get; private set; }

        public int Deadlines { get; private set; }

        public bool PeerClosed => CloseReceived;

        /// <summary>Hands <paramref name="kept"/> to the core; what it left (an incomplete frame) stays in it.</summary>
        public bool Feed(ref byte[] kept)
        {
            var buffer = new ReadOnlySequence<byte>(kept);
            var reading = Receive(ref buffer, this);
            kept = buffer.ToArray();
            return reading;
        }

        /// <summary>Runs the writer until it is idle or done: the frames it would send, then the Close.</summary>
        public (List<byte[]> Frames, byte[]? Close) WriteAll()
        {
            var frames = new List<byte[]>();
            while (true)
            {
                switch (NextWrite(out var batch, out var count))
                {
                    case WriteStep.Frames:
                        frames.AddRange(batch.Take(count).Select(f => f.Bytes));
                        EndBatch(batch, count, flushed: true);
                        break;
                    case WriteStep.CloseFrame:
                        return (frames, CloseFrame);
                    default:
                        return (frames, null);
                }
            }
        }

        public bool HandshakeDoneAfterCloseWritten() => OnCloseFrameWritten() && CloseHandshakeDone;

        public void OnMessage(WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
        {
            if (throwOnMessage)
            {
                throw new InvalidOperationException("handler failed");
            }

            Messages.Add(Encoding.UTF8.GetString(payload));
        }

        public void OnPong(ReadOnlySpan<byte> payload) => Pongs.Add(payload.ToArray());

        public void OnClosed()
        {
        }

        protected override void WakeWriter() => Wakes++;

        protected override void OnCloseDeadline() => Deadlines++;
    }

    /// <summary>A clock the test moves by hand, whose timers fire only when the test says so.</summary>
    private sealed class TimerClock : TimeProvider
    {
        private long _ticks = TimeSpan.TicksPerDay;

        public List<ManualTimer> Timers { get; } = [];

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new ManualTimer(() => callback(state), dueTime);
            Timers.Add(timer);
            return timer;
        }
    }

    private sealed class ManualTimer(Action fire, TimeSpan dueTime) : ITimer
    {
        private bool _disposed;

        public TimeSpan DueTime { get; private set; } = dueTime;

        public void Fire()
        {
            if (!_disposed)
            {
                fire();
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            DueTime = dueTime;
            return !_disposed;
        }

        public void Dispose() => _disposed = true;

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
