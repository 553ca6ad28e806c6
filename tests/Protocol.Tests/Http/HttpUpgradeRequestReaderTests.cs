using System.Buffers;
using System.Text;
using MadBase.Protocol.Http;
using static MadBase.Protocol.Tests.WebSockets.WebSocketTestData;

namespace MadBase.Protocol.Tests.Http;

public sealed class HttpUpgradeRequestReaderTests
{
    private const int Limit = 32 * 1024;

    // What the `ws` package (realtime-js's transport on Node) sends for supabase-js 2.x, key and token shortened.
    private const string Handshake =
        "GET /realtime/v1/websocket?apikey=eyJh.eyJy.c2ln&vsn=2.0.0 HTTP/1.1\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Connection: Upgrade\r\n" +
        "Upgrade: websocket\r\n" +
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" +
        "Host: 127.0.0.1:54321\r\n" +
        "\r\n";

    [Fact]
    public void TryRead_WsClientHandshake_ReadsTheUpgradeFields()
    {
        var bytes = Encoding.ASCII.GetBytes(Handshake);

        Assert.True(HttpUpgradeRequestReader.TryRead(new ReadOnlySequence<byte>(bytes), Limit, out var request, out var end));

        Assert.Equal(bytes.Length, new ReadOnlySequence<byte>(bytes).Slice(0, end).Length);
        Assert.Equal("GET", request!.Method);
        Assert.Equal("/realtime/v1/websocket", request.Path);
        Assert.Equal("apikey=eyJh.eyJy.c2ln&vsn=2.0.0", request.Query);
        Assert.Equal(1, request.MinorVersion);
        Assert.Equal("13", request.SecWebSocketVersion);
        Assert.Equal("dGhlIHNhbXBsZSBub25jZQ==", request.SecWebSocketKey);
        Assert.Equal("Upgrade", request.Connection);
        Assert.Equal("websocket", request.Upgrade);
        Assert.Equal("127.0.0.1:54321", request.Host);
        Assert.Null(request.ApiKey);
    }

    [Fact]
    public void TryRead_EveryPrefix_IncompleteAndNothingConsumed()
    {
        var bytes = Encoding.ASCII.GetBytes(Handshake);
        for (var length = 0; length < bytes.Length; length++)
        {
            var prefix = new ReadOnlySequence<byte>(bytes, 0, length);
            Assert.False(HttpUpgradeRequestReader.TryRead(prefix, Limit, out var request, out var end));
            Assert.Null(request);
            Assert.Equal(prefix.Start, end);
        }
    }

    [Fact]
    public void TryRead_RandomSegmentSplits_SameRequest()
    {
        var bytes = Encoding.ASCII.GetBytes(Handshake + "\x81\x85");
        var random = new Random(42);
        for (var round = 0; round < 200; round++)
        {
            var cuts = Enumerable.Range(0, random.Next(1, 6)).Select(_ => random.Next(1, bytes.Length)).Distinct().Order().ToArray();
            var segments = new List<byte[]>();
            var from = 0;
            foreach (var cut in cuts.Append(bytes.Length))
            {
                segments.Add(bytes[from..cut]);
                from = cut;
            }

            var sequence = Sequence([.. segments]);
            Assert.True(HttpUpgradeRequestReader.TryRead(sequence, Limit, out var request, out var end));
            Assert.Equal("dGhlIHNhbXBsZSBub25jZQ==", request!.SecWebSocketKey);
            Assert.Equal(2, sequence.Slice(end).Length); // the first frame's bytes stay for the WebSocket reader
        }
    }

    [Fact]
    public void TryRead_BareLineFeeds_Accepted()
    {
        var bytes = Encoding.ASCII.GetBytes(Handshake.Replace("\r\n", "\n", StringComparison.Ordinal));

        Assert.True(HttpUpgradeRequestReader.TryRead(new ReadOnlySequence<byte>(bytes), Limit, out var request, out _));
        Assert.Equal("websocket", request!.Upgrade);
    }

    [Fact]
    public void TryRead_RepeatedListHeaderAndOddCase_JoinedAndTrimmed()
    {
        var bytes = Encoding.ASCII.GetBytes(
            "GET /socket/websocket HTTP/1.1\r\nCONNECTION:  keep-alive \r\nconnection:Upgrade\r\nX-Api-Key:\tkey\t\r\n\r\n");

        Assert.True(HttpUpgradeRequestReader.TryRead(new ReadOnlySequence<byte>(bytes), Limit, out var request, out _));
        Assert.Equal("keep-alive, Upgrade", request!.Connection);
        Assert.Equal("key", request.ApiKey);
        Assert.Equal("", request.Query);
        Assert.Equal("/socket/websocket", request.Path);
    }

    [Theory]
    [InlineData("GET /x HTTP/1.1\r\nNoColon\r\n\r\n", (int)HttpHeadError.MalformedHeader)]
    [InlineData("GET /x HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", (int)HttpHeadError.MalformedHeader)]
    [InlineData("GET /x HTTP/1.1\r\nBad Name: b\r\n\r\n", (int)HttpHeadError.MalformedHeader)]
    [InlineData("GET /x HTTP/1.1\r\n: empty-name\r\n\r\n", (int)HttpHeadError.MalformedHeader)]
    [InlineData("GET /x HTTP/1.1\r\nA: b\u0001c\r\n\r\n", (int)HttpHeadError.MalformedHeader)]
    [InlineData("GET /x HTTP/2.0\r\n\r\n", (int)HttpHeadError.MalformedRequestLine)]
    [InlineData("GET /x HTTP/1.10\r\n\r\n", (int)HttpHeadError.MalformedRequestLine)]
    [InlineData("GET x HTTP/1.1\r\n\r\n", (int)HttpHeadError.MalformedRequestLine)]
    [InlineData("G(T /x HTTP/1.1\r\n\r\n", (int)HttpHeadError.MalformedRequestLine)]
    [InlineData("GET HTTP/1.1\r\n\r\n", (int)HttpHeadError.MalformedRequestLine)]
    [InlineData("GET /a b HTTP/1.1\r\n\r\n", (int)HttpHeadError.MalformedRequestLine)]
    public void TryRead_Malformed_ThrowsWithReason(string head, int reason)
    {
        var bytes = Encoding.Latin1.GetBytes(head);

        var ex = Assert.Throws<ProtocolException>(() => HttpUpgradeRequestReader.TryRead(new ReadOnlySequence<byte>(bytes), Limit, out _, out _));
        Assert.Equal((HttpHeadError)reason, ex.ReasonAs<HttpHeadError>());
    }

    // Request smuggling on the upgrade path: a head another parser (a proxy in front) could frame differently.
    [Theory]
    [InlineData("GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n")]
    [InlineData("GET /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("GET /x HTTP/1.1\r\nHost: a\r\ncontent-length: 0, 0\r\n\r\n")]
    [InlineData("GET /x HTTP/1.1\r\nHost: a\r\nTRANSFER-ENCODING: identity\r\n\r\n")]
    [InlineData("GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")]
    [InlineData("GET /x HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n")]
    public void TryRead_BodyDeclaredOrHostTwice_ThrowsAmbiguous(string head)
    {
        var bytes = Encoding.ASCII.GetBytes(head);

        var ex = Assert.Throws<ProtocolException>(() => HttpUpgradeRequestReader.TryRead(new ReadOnlySequence<byte>(bytes), Limit, out _, out _));
        Assert.Equal(HttpHeadError.Ambiguous, ex.ReasonAs<HttpHeadError>());
    }

    [Fact]
    public void TryRead_ContentLengthZero_AcceptedAndBytesAfterTheHeadLeftUnread()
    {
        var bytes = Encoding.ASCII.GetBytes("GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\nGET /admin HTTP/1.1\r\n\r\n");
        var sequence = new ReadOnlySequence<byte>(bytes);

        Assert.True(HttpUpgradeRequestReader.TryRead(sequence, Limit, out var request, out var end));
        Assert.Equal("a", request!.Host);
        Assert.Equal("GET /admin HTTP/1.1\r\n\r\n", Encoding.ASCII.GetString(sequence.Slice(end).ToArray()));
    }

    [Fact]
    public void TryRead_HeadLongerThanLimit_ThrowsHeadTooLarge()
    {
        var bytes = Encoding.ASCII.GetBytes("GET /x HTTP/1.1\r\nCookie: " + new string('a', 200) + "\r\n\r\n");

        var ex = Assert.Throws<ProtocolException>(() => HttpUpgradeRequestReader.TryRead(new ReadOnlySequence<byte>(bytes), 100, out _, out _));
        Assert.Equal(HttpHeadError.HeadTooLarge, ex.ReasonAs<HttpHeadError>());
    }

    [Fact]
    public void TryRead_UnfinishedHeadPastLimit_ThrowsInsteadOfWaiting()
    {
        var bytes = Encoding.ASCII.GetBytes("GET /x HTTP/1.1\r\nCookie: " + new string('a', 200));

        Assert.False(HttpUpgradeRequestReader.TryRead(new ReadOnlySequence<byte>(bytes), Limit, out _, out _));
        var ex = Assert.Throws<ProtocolException>(() => HttpUpgradeRequestReader.TryRead(new ReadOnlySequence<byte>(bytes), 100, out _, out _));
        Assert.Equal(HttpHeadError.HeadTooLarge, ex.ReasonAs<HttpHeadError>());
    }

    [Theory]
    [InlineData("", (int)HttpRequestLineMatch.NeedMore)]
    [InlineData("G", (int)HttpRequestLineMatch.NeedMore)]
    [InlineData("GET /realtime/v1/web", (int)HttpRequestLineMatch.NeedMore)]
    [InlineData("GET /realtime/v1/websocket", (int)HttpRequestLineMatch.NeedMore)]
    [InlineData("GET /realtime/v1/websocket?", (int)HttpRequestLineMatch.Match)]
    [InlineData("GET /realtime/v1/websocket HTTP/1.1", (int)HttpRequestLineMatch.Match)]
    [InlineData("GET /realtime/v1/websockets", (int)HttpRequestLineMatch.NoMatch)]
    [InlineData("GET /realtime/v1/api/broadcast", (int)HttpRequestLineMatch.NoMatch)]
    [InlineData("POST /realtime/v1/websocket", (int)HttpRequestLineMatch.NoMatch)]
    [InlineData("get /realtime/v1/websocket", (int)HttpRequestLineMatch.NoMatch)]
    [InlineData("\x16\x03\x01", (int)HttpRequestLineMatch.NoMatch)] // a TLS ClientHello is not ours either
    public void MatchRequestLine_Prefixes_DecideAsEarlyAsPossible(string start, int expected)
    {
        var bytes = Encoding.Latin1.GetBytes(start);

        Assert.Equal((HttpRequestLineMatch)expected, HttpUpgradeRequestReader.MatchRequestLine(new ReadOnlySequence<byte>(bytes), "GET"u8, "/realtime/v1/websocket"u8));
    }

    [Fact]
    public void MatchRequestLine_SplitAcrossSegments_Matches()
    {
        var sequence = Sequence("GET /real"u8.ToArray(), "time/v1/websocket?vsn=2.0.0"u8.ToArray());

        Assert.Equal(HttpRequestLineMatch.Match, HttpUpgradeRequestReader.MatchRequestLine(sequence, "GET"u8, "/realtime/v1/websocket"u8));
    }
}
