using System.Buffers;
using MadBase.Protocol.WebSockets;
using static MadBase.Protocol.Tests.WebSockets.WebSocketTestData;

namespace MadBase.Protocol.Tests.WebSockets;

/// <summary>
/// Rules that hold on both sides of the connection. <see cref="WebSocketFrameDecoderServerTests"/> decodes client
/// frames (masked), <see cref="WebSocketFrameDecoderClientTests"/> decodes server frames (unmasked).
/// </summary>
public abstract class WebSocketFrameDecoderTests
{
    private const long NoLimit = long.MaxValue;

    public static TheoryData<byte, bool, int> ValidHeaders => new()
    {
        { (byte)WebSocketOpcode.Text, true, 0 },
        { (byte)WebSocketOpcode.Text, true, 5 },
        { (byte)WebSocketOpcode.Text, false, 125 },      // largest 7-bit length
        { (byte)WebSocketOpcode.Binary, true, 126 },     // smallest 16-bit length
        { (byte)WebSocketOpcode.Binary, true, 65535 },   // largest 16-bit length
        { (byte)WebSocketOpcode.Binary, false, 65536 },  // smallest 64-bit length
        { (byte)WebSocketOpcode.Continuation, true, 3 },
        { (byte)WebSocketOpcode.Close, true, 2 },
        { (byte)WebSocketOpcode.Ping, true, 125 },
        { (byte)WebSocketOpcode.Pong, true, 0 },
    };

    // Enums travel as their numeric values: xUnit needs public parameter types, the codec types are internal.
    // Each vector is written unmasked (MASK=0, no key); ForSide sets MASK and appends a key for the server side.
    public static TheoryData<string, int, ushort> MalformedHeaders => new()
    {
        { "C1 00", (int)WebSocketProtocolError.ReservedBitsSet, 1002 },            // FIN, RSV1, Text
        { "A1 00", (int)WebSocketProtocolError.ReservedBitsSet, 1002 },            // FIN, RSV2, Text
        { "91 00", (int)WebSocketProtocolError.ReservedBitsSet, 1002 },            // FIN, RSV3, Text
        { "83 00", (int)WebSocketProtocolError.UnknownOpcode, 1002 },              // FIN, opcode 0x3 (reserved data)
        { "87 00", (int)WebSocketProtocolError.UnknownOpcode, 1002 },              // FIN, opcode 0x7
        { "8B 00", (int)WebSocketProtocolError.UnknownOpcode, 1002 },              // FIN, opcode 0xB (reserved control)
        { "8F 00", (int)WebSocketProtocolError.UnknownOpcode, 1002 },              // FIN, opcode 0xF
        { "09 00", (int)WebSocketProtocolError.ControlFrameFragmented, 1002 },     // FIN=0, Ping
        { "08 02", (int)WebSocketProtocolError.ControlFrameFragmented, 1002 },     // FIN=0, Close len 2
        { "89 7E 00 7E", (int)WebSocketProtocolError.ControlFrameTooLong, 1002 },  // Ping, 16-bit len 126
        { "88 7F 00 00 00 00 00 01 00 00", (int)WebSocketProtocolError.ControlFrameTooLong, 1002 }, // Close, 64-bit len
        { "82 7E 00 7D", (int)WebSocketProtocolError.NonMinimalLength, 1002 },     // Binary, 16-bit len 125 (fits 7 bits)
        { "82 7E 00 00", (int)WebSocketProtocolError.NonMinimalLength, 1002 },     // Binary, 16-bit len 0
        { "82 7F 00 00 00 00 00 00 FF FF", (int)WebSocketProtocolError.NonMinimalLength, 1002 },    // 64-bit len 65535
        { "82 7F 80 00 00 00 00 00 00 00", (int)WebSocketProtocolError.PayloadLengthOverflow, 1002 }, // 64-bit, MSB set
        { "82 7F FF FF FF FF FF FF FF FF", (int)WebSocketProtocolError.PayloadLengthOverflow, 1002 }, // 64-bit, all ones
    };

    protected abstract bool ExpectMasked { get; }

    /// <summary>The RFC 6455 §5.7 example key 37 fa 21 3d, on the side that masks.</summary>
    protected uint? Key => ExpectMasked ? 0x37FA213Du : null;

    [Theory]
    [MemberData(nameof(ValidHeaders))]
    public void TryReadHeader_EveryPrefixOfValidHeader_ReturnsFalseAndConsumesNothing(byte opcodeByte, bool fin, int length)
    {
        var opcode = (WebSocketOpcode)opcodeByte;
        byte[] frame = Frame(opcode, fin, new byte[length], Key);
        int headerLength = WebSocketFrameWriter.GetHeaderLength(length, ExpectMasked);

        for (int prefix = 0; prefix < headerLength; prefix++)
        {
            bool complete = WebSocketFrameDecoder.TryReadHeader(frame.AsSpan(0, prefix), ExpectMasked, NoLimit, out _, out int consumed);
            Assert.False(complete, $"prefix {prefix}");
            Assert.Equal(0, consumed);
        }
    }

    [Theory]
    [MemberData(nameof(ValidHeaders))]
    public void TryReadHeader_ValidHeader_DecodesEveryField(byte opcodeByte, bool fin, int length)
    {
        var opcode = (WebSocketOpcode)opcodeByte;
        byte[] frame = Frame(opcode, fin, new byte[length], Key);

        Assert.True(WebSocketFrameDecoder.TryReadHeader(frame, ExpectMasked, NoLimit, out WebSocketFrameHeader header, out int consumed));

        Assert.Equal(frame.Length - length, consumed);
        Assert.Equal(fin, header.Fin);
        Assert.Equal(0, header.ReservedBits);
        Assert.Equal(opcode, header.Opcode);
        Assert.Equal(ExpectMasked, header.Masked);
        Assert.Equal(Key ?? 0u, header.MaskKey);
        Assert.Equal(length, header.PayloadLength);
    }

    [Theory]
    [MemberData(nameof(ValidHeaders))]
    public void TryReadHeader_SequenceSplitAtEveryPoint_MatchesSpan(byte opcodeByte, bool fin, int length)
    {
        var opcode = (WebSocketOpcode)opcodeByte;
        byte[] frame = Frame(opcode, fin, new byte[length], Key);
        WebSocketFrameDecoder.TryReadHeader(frame, ExpectMasked, NoLimit, out WebSocketFrameHeader expected, out int expectedLength);

        for (int cut = 1; cut < Math.Min(frame.Length, 16); cut++)
        {
            ReadOnlySequence<byte> sequence = Sequence(frame[..cut], frame[cut..]);
            Assert.True(WebSocketFrameDecoder.TryReadHeader(sequence, ExpectMasked, NoLimit, out WebSocketFrameHeader header, out int consumed));
            Assert.Equal(expected, header);
            Assert.Equal(expectedLength, consumed);
        }

        // One byte per segment, and a sequence holding only part of the header.
        byte[][] bytes = frame.Take(expectedLength).Select(b => new[] { b }).ToArray();
        Assert.True(WebSocketFrameDecoder.TryReadHeader(Sequence(bytes), ExpectMasked, NoLimit, out _, out _));
        Assert.False(WebSocketFrameDecoder.TryReadHeader(Sequence(bytes[..^1]), ExpectMasked, NoLimit, out _, out int none));
        Assert.Equal(0, none);
    }

    [Fact]
    public void TryReadHeader_StreamCutAtRandomPoints_DecodesIdentically()
    {
        var random = new Random(42);
        var expected = new List<(WebSocketOpcode Opcode, bool Fin, byte[] Payload)>();
        var stream = new List<byte>();
        int[] lengths = [0, 1, 3, 4, 5, 31, 32, 33, 125, 126, 127, 1000, 65535, 65536, 70000];
        for (int i = 0; i < 60; i++)
        {
            var payload = new byte[lengths[random.Next(lengths.Length)]];
            random.NextBytes(payload);
            WebSocketOpcode opcode = (i % 3) switch { 0 => WebSocketOpcode.Text, 1 => WebSocketOpcode.Binary, _ => WebSocketOpcode.Ping };
            if (opcode == WebSocketOpcode.Ping && payload.Length > 125)
            {
                payload = payload[..125];
            }

            expected.Add((opcode, true, payload));
            stream.AddRange(Frame(opcode, true, payload, ExpectMasked ? (uint)random.Next() : null));
        }

        var actual = new List<(WebSocketOpcode Opcode, bool Fin, byte[] Payload)>();
        var reader = new IncrementalReader(ExpectMasked, frame => actual.Add(frame));
        foreach (byte[] chunk in Split(stream.ToArray(), random, maxChunk: 700))
        {
            reader.Feed(chunk);
        }

        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Opcode, actual[i].Opcode);
            Assert.Equal(expected[i].Payload, actual[i].Payload);
        }
    }

    [Theory]
    [MemberData(nameof(MalformedHeaders))]
    public void TryReadHeader_MalformedHeader_ThrowsReasonWithCloseCode(string hex, int reasonValue, ushort closeCode)
    {
        var reason = (WebSocketProtocolError)reasonValue;
        byte[] vector = ForSide(Hex(hex));

        var ex = Assert.Throws<ProtocolException>(() => WebSocketFrameDecoder.TryReadHeader(vector, ExpectMasked, NoLimit, out _, out _));

        Assert.Equal(reason, ex.ReasonAs<WebSocketProtocolError>());
        Assert.Equal(closeCode, reason.ToCloseStatus());
    }

    [Fact]
    public void TryReadHeader_PayloadOverLimit_ThrowsMessageTooBig1009()
    {
        byte[] vector = ForSide(Hex("82 7E 01 00")); // FIN, Binary, 16-bit len 256

        var ex = Assert.Throws<ProtocolException>(() => WebSocketFrameDecoder.TryReadHeader(vector, ExpectMasked, 255, out _, out _));

        Assert.Equal(WebSocketProtocolError.MessageTooBig, ex.ReasonAs<WebSocketProtocolError>());
        Assert.Equal(1009, WebSocketProtocolError.MessageTooBig.ToCloseStatus());
        Assert.True(WebSocketFrameDecoder.TryReadHeader(vector, ExpectMasked, 256, out _, out _));
    }

    [Fact]
    public void TryReadHeader_ErrorVisibleInFirstTwoBytes_ThrowsBeforeHeaderComplete()
    {
        // 16-bit length announced but missing: the reserved opcode is already enough to fail.
        byte[] vector = ForSide(Hex("83 7E"))[..2];

        var ex = Assert.Throws<ProtocolException>(() => WebSocketFrameDecoder.TryReadHeader(vector, ExpectMasked, NoLimit, out _, out _));
        Assert.Equal(WebSocketProtocolError.UnknownOpcode, ex.ReasonAs<WebSocketProtocolError>());
    }

    /// <summary>Sets MASK and appends the key when decoding as the server, which requires masked frames.</summary>
    private byte[] ForSide(byte[] unmaskedVector)
    {
        if (!ExpectMasked)
        {
            return unmaskedVector;
        }

        byte[] masked = [.. unmaskedVector, 0x37, 0xFA, 0x21, 0x3D];
        masked[1] |= 0x80;
        return masked;
    }

    /// <summary>The Edge's receive loop in miniature: header, then payload unmasked piece by piece as bytes arrive.</summary>
    private sealed class IncrementalReader(bool expectMasked, Action<(WebSocketOpcode, bool, byte[])> onFrame)
    {
        private readonly List<byte> _buffered = [];
        private WebSocketFrameHeader _header;
        private bool _inPayload;
        private int _maskOffset;
        private readonly List<byte> _payload = [];

        public void Feed(byte[] chunk)
        {
            _buffered.AddRange(chunk);
            while (true)
            {
                if (!_inPayload)
                {
                    byte[] pending = _buffered.ToArray();
                    if (!WebSocketFrameDecoder.TryReadHeader(pending, expectMasked, long.MaxValue, out _header, out int headerLength))
                    {
                        return;
                    }

                    _buffered.RemoveRange(0, headerLength);
                    _inPayload = true;
                    _maskOffset = 0;
                    _payload.Clear();
                }

                int take = (int)Math.Min(_header.PayloadLength - _payload.Count, _buffered.Count);
                byte[] piece = _buffered.GetRange(0, take).ToArray();
                _buffered.RemoveRange(0, take);
                if (_header.Masked)
                {
                    _maskOffset = WebSocketMask.Apply(piece, _header.MaskKey, _maskOffset);
                }

                _payload.AddRange(piece);
                if (_payload.Count < _header.PayloadLength)
                {
                    return;
                }

                onFrame((_header.Opcode, _header.Fin, _payload.ToArray()));
                _inPayload = false;
            }
        }
    }
}
