using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>A published server on Kestrel's own socket transport (<c>MADBASE_REALTIME_TRANSPORT=kestrel</c>).</summary>
public sealed class KestrelTransportFixture : IAsyncLifetime
{
    internal EdgeProcess Edge { get; private set; } = null!;

    private string Database { get; set; } = "";

    private string Slot { get; } = RealtimeServerFixture.NewSlotName();

    public async ValueTask InitializeAsync() =>
        (Database, Edge) = await RealtimeServerFixture.StartEdgeAsync(Slot, env => env["MADBASE_REALTIME_TRANSPORT"] = "kestrel");

    public async ValueTask DisposeAsync() => await RealtimeServerFixture.StopEdgeAsync(Edge, Database, Slot);
}

/// <summary>
/// The handshake answered below Kestrel's HTTP layer on the epoll transport (the default): these tests, plus reads
/// and writes that only the raw-descriptor connection does (frames split across reads, many frames per read).
/// </summary>
public sealed class EpollHandshakeTests(RealtimeServerFixture server) : RealtimeHandshakeTests, IClassFixture<RealtimeServerFixture>
{
    protected override int Port => server.Edge.Port;

    [Fact]
    public async Task Frame_SplitIntoSingleBytes_IsReassembledAndAnswered()
    {
        await using var socket = await RawWebSocket.ConnectAsync(Port, Path());
        var frame = RawWebSocket.ClientFrame(WebSocketOpcode.Text, """[null,"9","phoenix","heartbeat",{}]"""u8);

        foreach (var b in frame)
        {
            await socket.SendBytesAsync([b]);
            await Task.Delay(2);
        }

        Assert.Equal("""[null,"9","phoenix","phx_reply",{"status":"ok","response":{}}]""", await socket.ReadTextContainingAsync("phx_reply", s_timeout));
    }

    [Fact]
    public async Task Frames_HundredHeartbeatsInOneWrite_AllAnsweredInOrder()
    {
        await using var socket = await RawWebSocket.ConnectAsync(Port, Path());
        var frames = Enumerable.Range(0, 100)
            .SelectMany(i => RawWebSocket.ClientFrame(WebSocketOpcode.Text, Encoding.UTF8.GetBytes($$"""[null,"{{i}}","phoenix","heartbeat",{}]""")))
            .ToArray();

        await socket.SendBytesAsync(frames);

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal($$$"""[null,"{{{i}}}","phoenix","phx_reply",{"status":"ok","response":{}}]""", await socket.ReadTextContainingAsync("phx_reply", s_timeout));
        }
    }

    [Fact]
    public async Task Upgrade_FramesBeyondTheFirstReadInSameWriteAsHead_AllAnswered()
    {
        // 300 heartbeats (~13 KB) behind the head in one write: more than the head read takes, and with
        // edge-triggered readiness nothing announces the rest, so the socket must read on after the 101 by itself.
        var frames = Enumerable.Range(0, 300)
            .SelectMany(i => RawWebSocket.ClientFrame(WebSocketOpcode.Text, Encoding.UTF8.GetBytes($$"""[null,"{{i}}","phoenix","heartbeat",{}]""")))
            .ToArray();

        await using var socket = await RawWebSocket.SendRawAsync(Port, [.. RawWebSocket.UpgradeRequest(Port, Path()), .. frames]);

        Assert.Equal(101, socket.StatusCode);
        for (var i = 0; i < 300; i++)
        {
            Assert.Equal($$$"""[null,"{{{i}}}","phoenix","phx_reply",{"status":"ok","response":{}}]""", await socket.ReadTextContainingAsync("phx_reply", s_timeout));
        }
    }

    [Fact]
    public async Task Frame_LargerThanOneRead_IsBufferedWhole()
    {
        // 60 KiB, under the fixture's 64 KiB message limit: arrives over many reads and grows the partial-frame buffer.
        await using var socket = await RawWebSocket.ConnectAsync(Port, Path());
        var padding = new string('x', 60 * 1024);

        await socket.SendTextAsync($$"""[null,"big","phoenix","heartbeat",{"padding":"{{padding}}"}]""");

        Assert.Equal("""[null,"big","phoenix","phx_reply",{"status":"ok","response":{}}]""", await socket.ReadTextContainingAsync("phx_reply", s_timeout));
    }

    [Fact]
    public async Task Connection_SilentPastTheSniffTimeout_IsServedByHttp()
    {
        // Nothing for 10 s: the epoll transport stops waiting for a request line and hands the socket to Kestrel.
        using var client = new System.Net.Sockets.TcpClient { NoDelay = true };
        await client.ConnectAsync("127.0.0.1", Port);
        await Task.Delay(TimeSpan.FromSeconds(11.5));
        var stream = client.GetStream();

        await stream.WriteAsync("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());

        var buffer = new byte[256];
        using var cancel = new CancellationTokenSource(s_timeout);
        var read = await stream.ReadAsync(buffer, cancel.Token);
        Assert.StartsWith("HTTP/1.1 200", Encoding.ASCII.GetString(buffer, 0, read), StringComparison.Ordinal);
    }
}

/// <summary>The same handshake rules on Kestrel's socket transport, where RealtimeConnectionMiddleware answers them.</summary>
public sealed class KestrelTransportHandshakeTests(KestrelTransportFixture server) : RealtimeHandshakeTests, IClassFixture<KestrelTransportFixture>
{
    protected override int Port => server.Edge.Port;
}

/// <summary>
/// The handshake answered below Kestrel's HTTP layer, against the published binary: heads split across reads, bad
/// heads, bytes right after the head, and the hand-off of everything else to HTTP. Run once per transport.
/// </summary>
public abstract class RealtimeHandshakeTests
{
    protected static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    protected abstract int Port { get; }

    protected static string Path(string vsn = "2.0.0") => $"/realtime/v1/websocket?apikey={Tokens.Anon}&vsn={vsn}";

    [Fact]
    public async Task Upgrade_HeadSplitAcrossManyReads_Returns101AndServes()
    {
        var request = RawWebSocket.UpgradeRequest(Port, Path());
        var pieces = request.Chunk(9).ToArray(); // "GET /real" first: not enough to decide yet

        await using var socket = await RawWebSocket.SendRawAsync(Port, pieces);

        Assert.Equal(101, socket.StatusCode);
        await socket.SendTextAsync("""[null,"1","phoenix","heartbeat",{}]""");
        Assert.Contains("\"ok\"", await socket.ReadTextContainingAsync("phx_reply", s_timeout), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upgrade_FirstFrameInSameWriteAsHead_FrameIsRead()
    {
        var heartbeat = RawWebSocket.ClientFrame(WebSocketOpcode.Text, """[null,"7","phoenix","heartbeat",{}]"""u8);

        await using var socket = await RawWebSocket.SendRawAsync(Port, [.. RawWebSocket.UpgradeRequest(Port, Path()), .. heartbeat]);

        Assert.Equal(101, socket.StatusCode);
        Assert.Equal("""[null,"7","phoenix","phx_reply",{"status":"ok","response":{}}]""", await socket.ReadTextContainingAsync("phx_reply", s_timeout));
    }

    [Fact]
    public async Task Upgrade_KeyInXApiKeyHeader_Returns101()
    {
        await using var socket = await RawWebSocket.SendRawAsync(Port, RawWebSocket.UpgradeRequest(Port, "/realtime/v1/websocket?vsn=1.0.0", $"x-api-key: {Tokens.Anon}\r\n"));

        Assert.Equal(101, socket.StatusCode);
    }

    [Fact]
    public async Task Upgrade_MalformedHeaderLine_Returns400WithJsonErrorAndCloses()
    {
        var request = Encoding.ASCII.GetBytes($"GET {Path()} HTTP/1.1\r\nHost: x\r\nthis line has no colon\r\n\r\n");

        await using var socket = await RawWebSocket.SendRawAsync(Port, request);

        Assert.Equal(400, socket.StatusCode);
        Assert.Contains("Connection: close", socket.ResponseHead, StringComparison.OrdinalIgnoreCase);
        var body = await socket.ReadBodyToEndAsync(s_timeout);
        Assert.StartsWith("""{"statusCode":"400","error":"bad_request","message":""", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upgrade_HeadLargerThan32KiB_Returns431()
    {
        var request = RawWebSocket.UpgradeRequest(Port, Path(), "X-Padding: " + new string('a', 40 * 1024) + "\r\n");

        await using var socket = await RawWebSocket.SendRawAsync(Port, request);

        Assert.Equal(431, socket.StatusCode);
    }

    [Fact]
    public async Task Upgrade_Http10_Returns426()
    {
        var request = Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(RawWebSocket.UpgradeRequest(Port, Path())).Replace("HTTP/1.1", "HTTP/1.0", StringComparison.Ordinal));

        await using var socket = await RawWebSocket.SendRawAsync(Port, request);

        Assert.Equal(426, socket.StatusCode);
    }

    [Fact]
    public async Task Upgrade_MissingKey_Returns401WithSupabaseErrorBody()
    {
        await using var socket = await RawWebSocket.SendRawAsync(Port, RawWebSocket.UpgradeRequest(Port, "/realtime/v1/websocket?vsn=2.0.0"));

        Assert.Equal(401, socket.StatusCode);
        var body = await socket.ReadBodyToEndAsync(s_timeout);
        Assert.StartsWith("""{"statusCode":"401","error":"unauthorized","message":""", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_RequestWhoseStartLooksLikeTheSocketPath_ReachesHttpUntouched()
    {
        // "GET /rea" could still become "/realtime/v1/websocket": the middleware waits, then hands every byte to HTTP.
        await using var socket = await RawWebSocket.SendRawAsync(Port, "GET /rea"u8.ToArray(), "dy HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());

        Assert.Equal(200, socket.StatusCode);
    }

    [Fact]
    public async Task Upgrade_AfterHttpRequestOnKeepAliveConnection_Returns101ThroughKestrel()
    {
        await using var socket = await RawWebSocket.SendRawAsync(Port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        Assert.Equal(200, socket.StatusCode);
        Assert.Equal("ok\n", await socket.ReadTextBodyAsync(3));

        var head = await socket.SendRawAndReadHeadAsync(RawWebSocket.UpgradeRequest(Port, Path()));

        Assert.StartsWith("HTTP/1.1 101", head, StringComparison.Ordinal);
        await socket.SendTextAsync("""[null,"2","phoenix","heartbeat",{}]""");
        Assert.Contains("\"ok\"", await socket.ReadTextContainingAsync("phx_reply", s_timeout), StringComparison.Ordinal);
    }
}
