using MadBase.Protocol.WebSockets;
using static MadBase.Protocol.Tests.WebSockets.WebSocketTestData;

namespace MadBase.Protocol.Tests.WebSockets;

/// <summary>Decoding server → client frames (load driver): no frame may be masked (RFC 6455 §5.1).</summary>
public sealed class WebSocketFrameDecoderClientTests : WebSocketFrameDecoderTests
{
    protected override bool ExpectMasked => false;

    [Fact]
    public void TryReadHeader_Rfc6455UnmaskedHello_Decodes()
    {
        // RFC 6455 §5.7 "A single-frame unmasked text message":
        // 81  FIN=1, opcode=0x1 (Text);  05  MASK=0, length 5;  48 65 6c 6c 6f  "Hello"
        byte[] frame = Hex("81 05 48656c6c6f");

        Assert.True(WebSocketFrameDecoder.TryReadHeader(frame, expectMasked: false, 1 << 20, out WebSocketFrameHeader header, out int headerLength));
        Assert.Equal(2, headerLength);
        Assert.True(header.Fin);
        Assert.Equal(WebSocketOpcode.Text, header.Opcode);
        Assert.False(header.Masked);
        Assert.Equal(5, header.PayloadLength);
        Assert.Equal("Hello"u8.ToArray(), frame[headerLength..]);
    }

    [Fact]
    public void TryReadHeader_Rfc6455FragmentedHello_DecodesBothFragments()
    {
        // RFC 6455 §5.7 "A fragmented unmasked text message":
        // 01 03 48 65 6c  FIN=0, opcode=0x1 (Text), len 3, "Hel"
        // 80 02 6c 6f     FIN=1, opcode=0x0 (Continuation), len 2, "lo"
        byte[] stream = Hex("01 03 48656c 80 02 6c6f");

        Assert.True(WebSocketFrameDecoder.TryReadHeader(stream, false, 1 << 20, out WebSocketFrameHeader first, out int firstLength));
        Assert.False(first.Fin);
        Assert.Equal(WebSocketOpcode.Text, first.Opcode);
        Assert.Equal(3, first.PayloadLength);

        ReadOnlySpan<byte> rest = stream.AsSpan(firstLength + 3);
        Assert.True(WebSocketFrameDecoder.TryReadHeader(rest, false, 1 << 20, out WebSocketFrameHeader second, out int secondLength));
        Assert.True(second.Fin);
        Assert.Equal(WebSocketOpcode.Continuation, second.Opcode);
        Assert.Equal("lo"u8.ToArray(), rest[secondLength..].ToArray());
    }

    [Fact]
    public void TryReadHeader_Rfc6455UnmaskedPing_DecodesControlFrame()
    {
        // RFC 6455 §5.7 "Unmasked Ping request": 89 = FIN, opcode 0x9; 05 = length 5; "Hello".
        byte[] frame = Hex("89 05 48656c6c6f");

        Assert.True(WebSocketFrameDecoder.TryReadHeader(frame, false, 1 << 20, out WebSocketFrameHeader header, out _));
        Assert.Equal(WebSocketOpcode.Ping, header.Opcode);
        Assert.True(header.IsControl);
    }

    [Fact]
    public void TryReadHeader_Rfc6455Binary256_Uses16BitLength()
    {
        // RFC 6455 §5.7 "256 bytes binary message in a single unmasked frame":
        // 82     FIN=1, opcode=0x2 (Binary)
        // 7E     MASK=0, length marker 126: a 16-bit length follows
        // 01 00  length 256, big-endian
        byte[] frame = [.. Hex("82 7E 0100"), .. new byte[256]];

        Assert.True(WebSocketFrameDecoder.TryReadHeader(frame, false, 1 << 20, out WebSocketFrameHeader header, out int headerLength));
        Assert.Equal(4, headerLength);
        Assert.Equal(256, header.PayloadLength);
    }

    [Fact]
    public void TryReadHeader_Rfc6455Binary64KiB_Uses64BitLength()
    {
        // RFC 6455 §5.7 "64KiB binary message in a single unmasked frame":
        // 82                       FIN=1, opcode=0x2 (Binary)
        // 7F                       MASK=0, length marker 127: a 64-bit length follows
        // 00 00 00 00 00 01 00 00  length 65536, big-endian
        byte[] header64 = Hex("82 7F 0000000000010000");

        Assert.True(WebSocketFrameDecoder.TryReadHeader(header64, false, 1 << 20, out WebSocketFrameHeader header, out int headerLength));
        Assert.Equal(10, headerLength);
        Assert.Equal(65536, header.PayloadLength);
        Assert.Equal(WebSocketOpcode.Binary, header.Opcode);
    }

    [Fact]
    public void TryReadHeader_MaskedServerFrame_ThrowsUnexpectedMask1002()
    {
        byte[] frame = Hex("81 85 37fa213d 7f9f4d5158"); // a client's masked "Hello" arriving at a client

        var ex = Assert.Throws<ProtocolException>(() => WebSocketFrameDecoder.TryReadHeader(frame, expectMasked: false, 1 << 20, out _, out _));
        Assert.Equal(WebSocketProtocolError.UnexpectedMask, ex.ReasonAs<WebSocketProtocolError>());
        Assert.Equal(1002, WebSocketProtocolError.UnexpectedMask.ToCloseStatus());
    }
}
