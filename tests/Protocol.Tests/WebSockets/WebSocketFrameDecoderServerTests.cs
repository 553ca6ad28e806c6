using MadBase.Protocol.WebSockets;
using static MadBase.Protocol.Tests.WebSockets.WebSocketTestData;

namespace MadBase.Protocol.Tests.WebSockets;

/// <summary>Decoding client → server frames: every frame must be masked (RFC 6455 §5.1).</summary>
public sealed class WebSocketFrameDecoderServerTests : WebSocketFrameDecoderTests
{
    protected override bool ExpectMasked => true;

    [Fact]
    public void TryReadHeader_Rfc6455MaskedHello_DecodesAndUnmasks()
    {
        // RFC 6455 §5.7 "A single-frame masked text message":
        // 81          FIN=1, RSV=000, opcode=0x1 (Text)
        // 85          MASK=1, payload length=5
        // 37 fa 21 3d masking key
        // 7f 9f 4d 51 58  "Hello" XOR key
        byte[] frame = Hex("81 85 37fa213d 7f9f4d5158");

        Assert.True(WebSocketFrameDecoder.TryReadHeader(frame, expectMasked: true, 1 << 20, out WebSocketFrameHeader header, out int headerLength));
        Assert.Equal(6, headerLength);
        Assert.True(header.Fin);
        Assert.Equal(WebSocketOpcode.Text, header.Opcode);
        Assert.True(header.Masked);
        Assert.Equal(0x37FA213Du, header.MaskKey);
        Assert.Equal(5, header.PayloadLength);

        Span<byte> payload = frame.AsSpan(headerLength);
        WebSocketMask.Apply(payload, header.MaskKey, 0);
        Assert.Equal("Hello"u8.ToArray(), payload.ToArray());
    }

    [Fact]
    public void TryReadHeader_Rfc6455MaskedPong_DecodesControlFrame()
    {
        // RFC 6455 §5.7 "Pong response (masked)": 8a = FIN, opcode 0xA; 85 = MASK, length 5; key; "Hello" masked.
        byte[] frame = Hex("8a 85 37fa213d 7f9f4d5158");

        Assert.True(WebSocketFrameDecoder.TryReadHeader(frame, expectMasked: true, 1 << 20, out WebSocketFrameHeader header, out _));
        Assert.Equal(WebSocketOpcode.Pong, header.Opcode);
        Assert.True(header.IsControl);
        Assert.Equal(5, header.PayloadLength);
    }

    [Fact]
    public void TryReadHeader_UnmaskedClientFrame_ThrowsMissingMask1002()
    {
        byte[] frame = Hex("81 05 48656c6c6f"); // FIN, Text, MASK=0, len 5: legal from a server, not from a client

        var ex = Assert.Throws<ProtocolException>(() => WebSocketFrameDecoder.TryReadHeader(frame, expectMasked: true, 1 << 20, out _, out _));
        Assert.Equal(WebSocketProtocolError.MissingMask, ex.ReasonAs<WebSocketProtocolError>());
        Assert.Equal(1002, WebSocketProtocolError.MissingMask.ToCloseStatus());
    }
}
