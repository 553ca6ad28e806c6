using System.Buffers;
using CsCheck;
using MadBase.Protocol.WebSockets;
using static MadBase.Protocol.Tests.WebSockets.WebSocketTestData;

namespace MadBase.Protocol.Tests.WebSockets;

public sealed class WebSocketFrameWriterTests
{
    [Theory]
    [InlineData(0L, false, 2)]
    [InlineData(125L, false, 2)]
    [InlineData(126L, false, 4)]
    [InlineData(65535L, false, 4)]
    [InlineData(65536L, false, 10)]
    [InlineData(long.MaxValue, false, 10)]
    [InlineData(0L, true, 6)]
    [InlineData(126L, true, 8)]
    [InlineData(65536L, true, 14)]
    public void GetHeaderLength_PayloadLength_UsesMinimalEncoding(long payloadLength, bool masked, int expected)
    {
        Assert.Equal(expected, WebSocketFrameWriter.GetHeaderLength(payloadLength, masked));
    }

    [Fact]
    public void WriteText_Hello_MatchesRfc6455UnmaskedVector()
    {
        var output = new ArrayBufferWriter<byte>();

        WebSocketFrameWriter.WriteText(output, "Hello"u8);

        Assert.Equal(Hex("81 05 48656c6c6f"), output.WrittenSpan.ToArray()); // FIN Text, len 5, "Hello"
    }

    [Fact]
    public void WriteHeader_MaskedHello_MatchesRfc6455MaskedVector()
    {
        byte[] frame = Frame(WebSocketOpcode.Text, true, "Hello"u8, 0x37FA213D);

        Assert.Equal(Hex("81 85 37fa213d 7f9f4d5158"), frame);
    }

    [Fact]
    public void WriteBinary_256Bytes_Writes16BitLength()
    {
        var output = new ArrayBufferWriter<byte>();

        WebSocketFrameWriter.WriteBinary(output, new byte[256]);

        Assert.Equal(Hex("82 7E 0100"), output.WrittenSpan[..4].ToArray()); // FIN Binary, marker 126, 256
        Assert.Equal(260, output.WrittenCount);
    }

    [Fact]
    public void WriteBinary_64KiB_Writes64BitLength()
    {
        var output = new ArrayBufferWriter<byte>();

        WebSocketFrameWriter.WriteBinary(output, new byte[65536]);

        Assert.Equal(Hex("82 7F 0000000000010000"), output.WrittenSpan[..10].ToArray()); // marker 127, 65536
    }

    [Fact]
    public void WritePingAndPong_Hello_MatchRfc6455Opcodes()
    {
        var output = new ArrayBufferWriter<byte>();

        WebSocketFrameWriter.WritePing(output, "Hello"u8);
        WebSocketFrameWriter.WritePong(output, "Hello"u8);

        Assert.Equal(Hex("89 05 48656c6c6f 8A 05 48656c6c6f"), output.WrittenSpan.ToArray());
    }

    [Fact]
    public void WriteClose_CodeAndReason_WritesBigEndianCodeThenUtf8()
    {
        var output = new ArrayBufferWriter<byte>();

        WebSocketFrameWriter.WriteClose(output, WebSocketCloseStatus.NormalClosure, "bye");

        // 88 = FIN Close; 05 = len 5; 03 e8 = 1000; 62 79 65 = "bye"
        Assert.Equal(Hex("88 05 03e8 627965"), output.WrittenSpan.ToArray());
    }

    [Fact]
    public void WriteEmptyClose_NoBody_WritesTwoBytes()
    {
        var output = new ArrayBufferWriter<byte>();

        WebSocketFrameWriter.WriteEmptyClose(output);

        Assert.Equal(Hex("88 00"), output.WrittenSpan.ToArray());
    }

    [Fact]
    public void WriteHeader_NonFinalTextFragment_ClearsFin()
    {
        Span<byte> header = stackalloc byte[14];

        int written = WebSocketFrameWriter.WriteHeader(header, WebSocketOpcode.Text, fin: false, 3, maskKey: null);

        Assert.Equal(Hex("01 03"), header[..written].ToArray()); // RFC 6455 §5.7 first fragment of "Hel"
    }

    [Fact]
    public void WriteHeader_ControlFrameOver125Bytes_ThrowsArgumentException()
    {
        byte[] header = new byte[14];

        Assert.Throws<ArgumentException>(() => WebSocketFrameWriter.WriteHeader(header, WebSocketOpcode.Ping, true, 126, null));
        Assert.Throws<ArgumentException>(() => WebSocketFrameWriter.WriteHeader(header, WebSocketOpcode.Close, false, 2, null));
    }

    [Fact]
    public void WriteHeader_DestinationTooSmall_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => WebSocketFrameWriter.WriteHeader(new byte[3], WebSocketOpcode.Binary, true, 126, null));
    }

    [Fact]
    public void WriteHeader_RandomHeaders_RoundTripThroughDecoder()
    {
        var gen = Gen.Select(
            Gen.OneOf(WebSocketOpcode.Continuation, WebSocketOpcode.Text, WebSocketOpcode.Binary, WebSocketOpcode.Close, WebSocketOpcode.Ping, WebSocketOpcode.Pong),
            Gen.Bool,
            Gen.OneOf(Gen.Long[0, 125], Gen.Long[126, 65535], Gen.Long[65536, long.MaxValue]),
            Gen.Bool,
            Gen.UInt,
            (opcode, fin, length, masked, key) => (opcode, fin, length, masked, key));

        gen.Sample(t =>
        {
            bool isControl = ((byte)t.opcode & 0x8) != 0;
            bool fin = t.fin || isControl;
            long length = isControl ? t.length % 126 : t.length;
            Span<byte> buffer = stackalloc byte[WebSocketFrameDecoder.MaxHeaderLength];

            int written = WebSocketFrameWriter.WriteHeader(buffer, t.opcode, fin, length, t.masked ? t.key : null);
            bool complete = WebSocketFrameDecoder.TryReadHeader(buffer[..written], t.masked, long.MaxValue, out WebSocketFrameHeader header, out int consumed);

            return complete && consumed == written && header.Opcode == t.opcode && header.Fin == fin
                && header.PayloadLength == length && header.Masked == t.masked && header.MaskKey == (t.masked ? t.key : 0u);
        });
    }
}
