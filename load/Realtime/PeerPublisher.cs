using System.Buffers;
using System.Net;
using System.Net.Sockets;
using MadBase.Load.Net;
using MadBase.Protocol.WebSockets;

namespace MadBase.Load.Realtime;

/// <summary>
/// Publishes to a broadcast peer over a WebSocket to <c>/pub</c>: 200-byte JSON text messages as in the anchors,
/// <c>{"topic":"bench","seq":…,"ts":…,"data":"xxx…"}</c>, numbers space-padded so the size never changes. Ticks due
/// at the same moment go out in one <c>send()</c>.
/// </summary>
internal sealed class PeerPublisher : IPublisher
{
    public const int MessageBytes = 200;

    private const int SeqWidth = 12;
    private const int TsWidth = 16;
    private static readonly byte[] s_head = "{\"topic\":\"bench\",\"seq\":"u8.ToArray();
    private static readonly byte[] s_middle = ",\"ts\":"u8.ToArray();
    private static readonly byte[] s_dataOpen = ",\"data\":\""u8.ToArray();
    private static readonly byte[] s_tail = "\"}"u8.ToArray();

    private readonly Socket _socket;
    private readonly byte[] _message = BuildTemplate();
    private readonly ArrayBufferWriter<byte> _batch = new(64 * 1024);
    private long _seq;

    public PeerPublisher(IPEndPoint endpoint)
    {
        (_socket, _) = WsHandshake.Connect(endpoint, "/pub", TimeSpan.FromSeconds(10));
    }

    public long NextSeq => _seq + 1;

    public void Publish(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        _batch.Clear();
        long ts = Clock.NowMicros();
        for (int i = 0; i < count; i++)
        {
            WriteNumber(_message.AsSpan(s_head.Length, SeqWidth), ++_seq);
            WriteNumber(_message.AsSpan(s_head.Length + SeqWidth + s_middle.Length, TsWidth), ts);
            ClientFrames.Write(_batch, WebSocketOpcode.Text, _message);
        }

        WsHandshake.SendAll(_socket, _batch.WrittenSpan);
    }

    public void Dispose() => _socket.Dispose();

    private static byte[] BuildTemplate()
    {
        var message = new List<byte>(MessageBytes);
        message.AddRange(s_head);
        message.AddRange(Enumerable.Repeat((byte)' ', SeqWidth));
        message.AddRange(s_middle);
        message.AddRange(Enumerable.Repeat((byte)' ', TsWidth));
        message.AddRange(s_dataOpen);
        message.AddRange(Enumerable.Repeat((byte)'x', MessageBytes - message.Count - s_tail.Length));
        message.AddRange(s_tail);
        return [.. message];
    }

    /// <summary>Right-aligned decimal, left-padded with spaces (JSON allows whitespace before a value).</summary>
    private static void WriteNumber(Span<byte> slot, long value)
    {
        slot.Fill((byte)' ');
        int i = slot.Length;
        do
        {
            slot[--i] = (byte)('0' + (value % 10));
            value /= 10;
        }
        while (value > 0 && i > 0);
    }
}
