using System.Buffers.Binary;
using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Tests.Realtime.Conformance;

/// <summary>
/// One Autobahn-style test connection to <c>/realtime/v1/websocket</c> (vsn 2.0.0) over <see cref="RawWebSocket"/>:
/// writes bytes whole or in chops, and checks what the server sends back, strictly in order.
/// </summary>
internal sealed class ConformanceSocket : IAsyncDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    private readonly RawWebSocket _socket;

    private ConformanceSocket(RawWebSocket socket) => _socket = socket;

    public static async Task<ConformanceSocket> OpenAsync(int port)
    {
        var socket = await RawWebSocket.ConnectAsync(port, $"/realtime/v1/websocket?apikey={Tokens.Anon}&vsn=2.0.0");
        Assert.Equal(101, socket.StatusCode);
        return new ConformanceSocket(socket);
    }

    /// <summary>Writes all <paramref name="frames"/> in one write ("one chop").</summary>
    public Task SendAsync(params byte[][] frames) => _socket.SendBytesAsync([.. frames.SelectMany(f => f)]);

    /// <summary>Writes the frames in pieces of <paramref name="chop"/> bytes, pausing <paramref name="delay"/> between them.</summary>
    public async Task SendChoppedAsync(int chop, TimeSpan delay, params byte[][] frames)
    {
        byte[] bytes = [.. frames.SelectMany(f => f)];
        for (var at = 0; at < bytes.Length; at += chop)
        {
            await _socket.SendBytesAsync(bytes[at..Math.Min(bytes.Length, at + chop)]);
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay);
            }
        }
    }

    /// <summary>Writes each frame on its own ("frame-wise chops").</summary>
    public async Task SendFramewiseAsync(params byte[][] frames)
    {
        foreach (var frame in frames)
        {
            await _socket.SendBytesAsync(frame);
        }
    }

    /// <summary>The next frame must be the reply to the heartbeat with <paramref name="ref"/>.</summary>
    public async Task ExpectReplyAsync(string @ref)
    {
        var (opcode, payload) = await NextAsync("the heartbeat reply");
        Assert.Equal(WebSocketOpcode.Text, opcode);
        Assert.Equal($$$"""[null,"{{{@ref}}}","phoenix","phx_reply",{"status":"ok","response":{}}]""", Encoding.UTF8.GetString(payload));
    }

    /// <summary>The next frame must be a Pong carrying <paramref name="expected"/>.</summary>
    public async Task ExpectPongAsync(byte[] expected)
    {
        var (opcode, actual) = await NextAsync("a pong");
        Assert.Equal(WebSocketOpcode.Pong, opcode);
        Assert.Equal(expected, actual);
    }

    /// <summary>The next frame must be the kind-4 echo of <paramref name="push"/> (see <see cref="Frames.BinaryPush"/>).</summary>
    public async Task ExpectBinaryEchoAsync(byte[] push)
    {
        var (opcode, payload) = await NextAsync("the binary echo");
        Assert.Equal(WebSocketOpcode.Binary, opcode);
        Assert.Equal(4, payload[0]);
        Assert.True(payload.AsSpan(5 + Frames.EchoTopic.Length + 1).SequenceEqual(Frames.PushPayload(push)), "echoed payload differs");
    }

    /// <summary>
    /// The connection is still open and in sync: a heartbeat sent now gets the very next frame as its reply (nothing
    /// was echoed or answered in between).
    /// </summary>
    public async Task ExpectOpenAsync()
    {
        await SendAsync(Frames.Text(Frames.Heartbeat("alive")));
        await ExpectReplyAsync("alive");
    }

    /// <summary>
    /// The next frame must be a Close with <paramref name="code"/> (any of <paramref name="orCodes"/> too); we answer
    /// with our Close as a client does. After failing a connection the server waits for the client to end TCP (up to
    /// its close-handshake timeout), so this does not wait for the server's FIN; <see cref="ExpectCloseHandshakeAsync"/> does.
    /// </summary>
    public async Task ExpectCloseAsync(ushort code, params ushort[] orCodes)
    {
        var (opcode, payload) = await NextAsync($"a Close {code}");
        Assert.Equal(WebSocketOpcode.Close, opcode);
        var actual = payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(payload) : WebSocketCloseStatus.NoStatusReceived;
        Assert.True(actual == code || orCodes.Contains(actual), $"close code {actual}, expected {code}{(orCodes.Length > 0 ? " or " + string.Join('/', orCodes) : "")}");
        try
        {
            await SendAsync(Frames.Close(actual == WebSocketCloseStatus.NoStatusReceived ? WebSocketCloseStatus.NormalClosure : actual));
        }
        catch (IOException)
        {
            // The server may already have ended the connection.
        }
    }

    /// <summary>A close the client started: the server's Close, then the server ends the TCP connection (RFC 6455 §7.1.1).</summary>
    public async Task ExpectCloseHandshakeAsync(ushort code, params ushort[] orCodes)
    {
        await ExpectCloseAsync(code, orCodes);
        await ExpectTcpClosedAsync();
    }

    /// <summary>No further frame; the server ends the TCP connection.</summary>
    public async Task ExpectTcpClosedAsync()
    {
        try
        {
            var frame = await _socket.ReadFrameAsync(s_timeout);
            Assert.True(frame is null, $"a {frame?.Opcode} frame after the close");
        }
        catch (IOException)
        {
            // A reset also ends it.
        }
    }

    /// <summary>Joins <see cref="Frames.EchoTopic"/> with broadcast self, so binary pushes come back (the binary echo).</summary>
    public async Task JoinEchoAsync()
    {
        await SendAsync(Frames.Text("""["1","1","realtime:echo","phx_join",{"config":{"broadcast":{"self":true}}}]"""u8));
        await _socket.ReadTextContainingAsync("phx_reply", s_timeout);

        // Drain what a join sends after its reply (presence_state), up to our own heartbeat's reply.
        await SendAsync(Frames.Text(Frames.Heartbeat("joined")));
        await _socket.ReadTextContainingAsync("\"joined\"", s_timeout);
    }

    public ValueTask DisposeAsync() => _socket.DisposeAsync();

    private async Task<(WebSocketOpcode Opcode, byte[] Payload)> NextAsync(string expected)
    {
        var frame = await _socket.ReadFrameAsync(s_timeout);
        Assert.True(frame is not null, $"the server ended the connection; expected {expected}");
        return frame.Value;
    }
}
