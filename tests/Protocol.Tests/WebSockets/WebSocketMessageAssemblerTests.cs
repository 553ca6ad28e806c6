using System.Text;
using MadBase.Protocol.WebSockets;
using static MadBase.Protocol.Tests.WebSockets.WebSocketTestData;

namespace MadBase.Protocol.Tests.WebSockets;

public sealed class WebSocketMessageAssemblerTests
{
    private const long Limit = 1 << 20;

    [Fact]
    public void EndFrame_Rfc6455FragmentedHello_CompletesTextOnFinalFragment()
    {
        var assembler = new WebSocketMessageAssembler(Limit);

        // 01 03 "Hel": FIN=0 Text
        Assert.True(assembler.BeginFrame(Header(WebSocketOpcode.Text, fin: false, 3)));
        assembler.Append("Hel"u8);
        Assert.False(assembler.EndFrame(out _));
        Assert.True(assembler.IsMessageOpen);

        // 80 02 "lo": FIN=1 Continuation
        Assert.False(assembler.BeginFrame(Header(WebSocketOpcode.Continuation, fin: true, 2)));
        assembler.Append("lo"u8);
        Assert.True(assembler.EndFrame(out WebSocketOpcode opcode));

        Assert.Equal(WebSocketOpcode.Text, opcode);
        Assert.Equal(5, assembler.MessageLength);
        Assert.False(assembler.IsMessageOpen);
    }

    [Fact]
    public void BeginFrame_ControlFrameBetweenFragments_LeavesMessageOpen()
    {
        var assembler = new WebSocketMessageAssembler(Limit);
        Feed(assembler, WebSocketOpcode.Binary, fin: false, [1, 2]);

        Assert.False(Feed(assembler, WebSocketOpcode.Ping, fin: true, "Hello"u8.ToArray()));
        Assert.False(Feed(assembler, WebSocketOpcode.Pong, fin: true, []));

        Assert.True(assembler.IsMessageOpen);
        Assert.True(Feed(assembler, WebSocketOpcode.Continuation, fin: true, [3]));
        Assert.Equal(WebSocketOpcode.Binary, assembler.MessageOpcode);
        Assert.Equal(3, assembler.MessageLength);
    }

    [Fact]
    public void BeginFrame_ContinuationWithoutMessage_ThrowsUnexpectedContinuation1002()
    {
        var assembler = new WebSocketMessageAssembler(Limit);

        AssertFails(WebSocketProtocolError.UnexpectedContinuation, 1002, () => assembler.BeginFrame(Header(WebSocketOpcode.Continuation, true, 1)));
    }

    [Fact]
    public void BeginFrame_ContinuationAfterFinalFrame_ThrowsUnexpectedContinuation1002()
    {
        var assembler = new WebSocketMessageAssembler(Limit);
        Feed(assembler, WebSocketOpcode.Text, fin: true, "a"u8.ToArray());

        AssertFails(WebSocketProtocolError.UnexpectedContinuation, 1002, () => assembler.BeginFrame(Header(WebSocketOpcode.Continuation, true, 1)));
    }

    [Theory]
    [InlineData((byte)WebSocketOpcode.Text)]
    [InlineData((byte)WebSocketOpcode.Binary)]
    public void BeginFrame_NewDataFrameWhileFragmented_ThrowsExpectedContinuation1002(byte opcode)
    {
        var assembler = new WebSocketMessageAssembler(Limit);
        Feed(assembler, WebSocketOpcode.Text, fin: false, "a"u8.ToArray());

        AssertFails(WebSocketProtocolError.ExpectedContinuation, 1002, () => assembler.BeginFrame(Header((WebSocketOpcode)opcode, true, 1)));
    }

    [Fact]
    public void BeginFrame_FragmentsExceedMessageLimit_ThrowsMessageTooBig1009()
    {
        var assembler = new WebSocketMessageAssembler(100);
        Feed(assembler, WebSocketOpcode.Binary, fin: false, new byte[60]);

        AssertFails(WebSocketProtocolError.MessageTooBig, 1009, () => assembler.BeginFrame(Header(WebSocketOpcode.Continuation, true, 41)));
    }

    [Fact]
    public void BeginFrame_FragmentsExactlyAtLimit_Completes()
    {
        var assembler = new WebSocketMessageAssembler(100);
        Feed(assembler, WebSocketOpcode.Binary, fin: false, new byte[60]);

        Assert.True(Feed(assembler, WebSocketOpcode.Continuation, fin: true, new byte[40]));
        Assert.Equal(100, assembler.MessageLength);
    }

    [Fact]
    public void Append_MultiByteTextSplitAcrossFragmentsAtEveryPosition_Completes()
    {
        // 1-, 2-, 3- and 4-byte sequences: a, é (C3 A9), € (E2 82 AC), 😀 (F0 9F 98 80), U+10FFFF (F4 8F BF BF).
        byte[] text = Encoding.UTF8.GetBytes("aé€😀\U0010FFFFz");
        for (int first = 0; first <= text.Length; first++)
        {
            for (int second = first; second <= text.Length; second++)
            {
                var assembler = new WebSocketMessageAssembler(Limit);
                Feed(assembler, WebSocketOpcode.Text, fin: false, text[..first]);
                Feed(assembler, WebSocketOpcode.Continuation, fin: false, text[first..second]);
                Assert.True(Feed(assembler, WebSocketOpcode.Continuation, fin: true, text[second..]), $"{first}/{second}");
            }
        }
    }

    [Fact]
    public void Append_TextInOneFramePushedInRandomPieces_Completes()
    {
        var random = new Random(42);
        byte[] text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("héllo wörld € 😀 ", 200)));
        for (int round = 0; round < 50; round++)
        {
            var assembler = new WebSocketMessageAssembler(Limit);
            assembler.BeginFrame(Header(WebSocketOpcode.Text, true, text.Length));
            int at = 0;
            foreach (byte[] piece in Split(text, random, maxChunk: 13))
            {
                assembler.Append(piece);
                at += piece.Length;
            }

            Assert.True(assembler.EndFrame(out _));
        }
    }

    [Theory]
    [InlineData("C0 AF")]          // overlong '/'
    [InlineData("C1 BF")]          // overlong
    [InlineData("E0 80 AF")]       // overlong 3-byte
    [InlineData("F0 80 80 AF")]    // overlong 4-byte
    [InlineData("ED A0 80")]       // U+D800 high surrogate
    [InlineData("ED BF BF")]       // U+DFFF low surrogate
    [InlineData("F4 90 80 80")]    // U+110000
    [InlineData("F5 80 80 80")]    // lead byte above F4
    [InlineData("FF")]
    [InlineData("80")]             // lone continuation byte
    [InlineData("61 C3 28")]       // lead byte followed by ASCII
    [InlineData("E2 82 AC AC")]    // extra continuation after a whole €
    public void Append_InvalidUtf8_ThrowsInvalidUtf8With1007(string hex)
    {
        var assembler = new WebSocketMessageAssembler(Limit);
        byte[] bytes = Hex(hex);

        AssertFails(WebSocketProtocolError.InvalidUtf8, 1007, () => Feed(assembler, WebSocketOpcode.Text, fin: true, bytes));
    }

    [Theory]
    [InlineData("E0", "80 AF")]    // overlong, detected on the byte after the split
    [InlineData("ED", "A0 80")]    // surrogate split after the lead
    [InlineData("F4 8F", "C0")]    // continuation expected, ASCII-range lead found
    [InlineData("F4", "90 80 80")] // > U+10FFFF split after the lead
    public void Append_InvalidSequenceSplitAcrossFragments_ThrowsOnSecondFragment(string firstHex, string secondHex)
    {
        var assembler = new WebSocketMessageAssembler(Limit);
        Feed(assembler, WebSocketOpcode.Text, fin: false, Hex(firstHex));

        assembler.BeginFrame(Header(WebSocketOpcode.Continuation, true, Hex(secondHex).Length));
        AssertFails(WebSocketProtocolError.InvalidUtf8, 1007, () => assembler.Append(Hex(secondHex)));
    }

    [Fact]
    public void Append_ImpossiblePrefix_FailsFastBeforeMessageEnds()
    {
        var assembler = new WebSocketMessageAssembler(Limit);
        assembler.BeginFrame(Header(WebSocketOpcode.Text, fin: false, 2));

        // E0 80 can never be completed (E0 needs A0..BF next): reject now, not at FIN (RFC 6455 §8.1).
        AssertFails(WebSocketProtocolError.InvalidUtf8, 1007, () => assembler.Append(Hex("E0 80")));
    }

    [Theory]
    [InlineData("E2 82")]      // € missing its last byte
    [InlineData("F0 9F 98")]   // 😀 missing its last byte
    [InlineData("C3")]
    public void EndFrame_TextEndsInsideCodePoint_ThrowsInvalidUtf8With1007(string hex)
    {
        var assembler = new WebSocketMessageAssembler(Limit);
        byte[] bytes = Hex(hex);
        assembler.BeginFrame(Header(WebSocketOpcode.Text, true, bytes.Length));
        assembler.Append(bytes);

        AssertFails(WebSocketProtocolError.InvalidUtf8, 1007, () => assembler.EndFrame(out _));
    }

    [Fact]
    public void EndFrame_BinaryWithInvalidUtf8_Completes()
    {
        var assembler = new WebSocketMessageAssembler(Limit);

        Assert.True(Feed(assembler, WebSocketOpcode.Binary, fin: true, Hex("C0 AF FF E2 82")));
    }

    [Fact]
    public void Append_MoreThanFramePayload_ThrowsInvalidOperation()
    {
        var assembler = new WebSocketMessageAssembler(Limit);
        assembler.BeginFrame(Header(WebSocketOpcode.Binary, true, 2));

        Assert.Throws<InvalidOperationException>(() => assembler.Append(new byte[3]));
    }

    [Fact]
    public void EndFrame_PayloadNotFullyAppended_ThrowsInvalidOperation()
    {
        var assembler = new WebSocketMessageAssembler(Limit);
        assembler.BeginFrame(Header(WebSocketOpcode.Binary, true, 2));
        assembler.Append(new byte[1]);

        Assert.Throws<InvalidOperationException>(() => assembler.EndFrame(out _));
    }

    private static WebSocketFrameHeader Header(WebSocketOpcode opcode, bool fin, long length) =>
        new(fin, 0, opcode, masked: true, 0x37FA213D, length);

    /// <summary>One whole frame through BeginFrame/Append/EndFrame; returns EndFrame's result.</summary>
    private static bool Feed(WebSocketMessageAssembler assembler, WebSocketOpcode opcode, bool fin, byte[] payload)
    {
        assembler.BeginFrame(Header(opcode, fin, payload.Length));
        assembler.Append(payload);
        return assembler.EndFrame(out _);
    }

    private static void AssertFails(WebSocketProtocolError reason, ushort closeCode, Action action)
    {
        var ex = Assert.Throws<ProtocolException>(action);
        Assert.Equal(reason, ex.ReasonAs<WebSocketProtocolError>());
        Assert.Equal(closeCode, ex.ReasonAs<WebSocketProtocolError>().ToCloseStatus());
    }
}
