using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>
/// A deliberately low-level RFC 6455 client over a plain socket, so tests can send frames a real client never
/// would (unmasked, oversized control frames, broken UTF-8) and observe the exact close codes.
/// </summary>
internal sealed class RawWebSocket : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[1 << 20];
    private readonly SemaphoreSlim _writeLock = new(1, 1); // a Pong from the reader and a test's send never interleave
    private int _start;
    private int _end;

    private RawWebSocket(TcpClient client, string responseHead)
    {
        _client = client;
        _stream = client.GetStream();
        ResponseHead = responseHead;
    }

    public string ResponseHead { get; private set; }

    /// <summary>
    /// True (the default): the server's Pings are answered with a Pong and skipped by <see cref="ReadFrameAsync"/>, as
    /// every WebSocket client does; false: they are returned like any frame and left unanswered.
    /// </summary>
    public bool AnswerPings { get; set; } = true;

    public int StatusCode => int.Parse(ResponseHead.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Sends the opening handshake and reads the response head (and keeps any bytes after it).</summary>
    public static async Task<RawWebSocket> ConnectAsync(int port, string pathAndQuery, string? key = null, string version = "13", string? extraHeaders = null)
    {
        var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var socket = new RawWebSocket(client, "");
        key ??= Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var request = $"GET {pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                      $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: {version}\r\n{extraHeaders}\r\n";
        await socket._stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        socket.ResponseHead = await socket.ReadHeadAsync();
        return socket;
    }

    /// <summary>
    /// Opens a connection and writes <paramref name="pieces"/> one after another (pausing between them, so the
    /// server sees them as separate reads), then reads one response head.
    /// </summary>
    public static async Task<RawWebSocket> SendRawAsync(int port, params byte[][] pieces)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync("127.0.0.1", port);
        var socket = new RawWebSocket(client, "");
        foreach (var piece in pieces)
        {
            await socket._stream.WriteAsync(piece);
            await socket._stream.FlushAsync();
            await Task.Delay(20);
        }

        socket.ResponseHead = await socket.ReadHeadAsync();
        return socket;
    }

    /// <summary>Writes raw bytes (a piece of a frame, several frames) and flushes; reads nothing.</summary>
    public async Task SendBytesAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>Writes more raw bytes on the same connection and reads the next response head.</summary>
    public async Task<string> SendRawAndReadHeadAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        ResponseHead = await ReadHeadAsync();
        return ResponseHead;
    }

    /// <summary>The upgrade request <see cref="ConnectAsync"/> sends, as bytes.</summary>
    public static byte[] UpgradeRequest(int port, string pathAndQuery, string? extraHeaders = null) =>
        Encoding.ASCII.GetBytes($"GET {pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                                $"Sec-WebSocket-Key: {Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))}\r\nSec-WebSocket-Version: 13\r\n{extraHeaders}\r\n");

    /// <summary>Bytes of one client frame (masked), for tests that send it in the same write as the handshake.</summary>
    public static byte[] ClientFrame(WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[14 + payload.Length];
        var key = BinaryPrimitives.ReadUInt32BigEndian(RandomNumberGenerator.GetBytes(4));
        var header = WriteHeaderUnchecked(frame, opcode, fin: true, payload.Length, key);
        payload.CopyTo(frame.AsSpan(header));
        WebSocketMask.Apply(frame.AsSpan(header, payload.Length), key, 0);
        return frame[..(header + payload.Length)];
    }

    /// <summary>Reads a body of <paramref name="length"/> bytes (Content-Length) after the head.</summary>
    public async Task<string> ReadTextBodyAsync(int length)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (_end - _start < length)
        {
            if (!await FillAsync(cts.Token))
            {
                throw new IOException("connection closed before the body arrived");
            }
        }

        var body = Encoding.UTF8.GetString(_buffer, _start, length);
        _start += length;
        return body;
    }

    /// <summary>The body after the head (for refusals: the JSON error), read until the server closes.</summary>
    public async Task<string> ReadBodyToEndAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (await FillAsync(cts.Token))
        {
        }

        return Encoding.UTF8.GetString(_buffer, _start, _end - _start);
    }

    public static string ExpectedAccept(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));

    /// <summary>Writes one frame; masked with a random key unless <paramref name="masked"/> is false.</summary>
    public async Task SendFrameAsync(WebSocketOpcode opcode, ReadOnlyMemory<byte> payload, bool fin = true, bool masked = true)
    {
        var key = masked ? BinaryPrimitives.ReadUInt32BigEndian(RandomNumberGenerator.GetBytes(4)) : (uint?)null;
        var frame = new byte[14 + payload.Length];
        var header = WriteHeaderUnchecked(frame, opcode, fin, payload.Length, key);
        payload.Span.CopyTo(frame.AsSpan(header));
        if (key is uint k)
        {
            WebSocketMask.Apply(frame.AsSpan(header, payload.Length), k, 0);
        }

        await _writeLock.WaitAsync();
        try
        {
            await _stream.WriteAsync(frame.AsMemory(0, header + payload.Length));
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public Task SendTextAsync(string text) => SendFrameAsync(WebSocketOpcode.Text, Encoding.UTF8.GetBytes(text));

    /// <summary>Reads the next frame (opcode and unmasked payload); null when the server closed the TCP connection.</summary>
    public async Task<(WebSocketOpcode Opcode, byte[] Payload)?> ReadFrameAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            if (WebSocketFrameDecoder.TryReadHeader(_buffer.AsSpan(_start, _end - _start), expectMasked: false, 1 << 20, out var header, out var headerLength)
                && _end - _start - headerLength >= header.PayloadLength)
            {
                var payload = _buffer.AsSpan(_start + headerLength, (int)header.PayloadLength).ToArray();
                _start += headerLength + (int)header.PayloadLength;
                if (header.Opcode == WebSocketOpcode.Ping && AnswerPings)
                {
                    await SendFrameAsync(WebSocketOpcode.Pong, payload);
                    continue;
                }

                return (header.Opcode, payload);
            }

            if (!await FillAsync(cts.Token))
            {
                return null;
            }
        }
    }

    /// <summary>Reads frames until a text frame contains <paramref name="needle"/>; returns it.</summary>
    public async Task<string> ReadTextContainingAsync(string needle, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var frame = await ReadFrameAsync(deadline - DateTime.UtcNow) ?? throw new InvalidOperationException($"socket closed before a frame containing {needle}");
            if (frame.Opcode == WebSocketOpcode.Text && Encoding.UTF8.GetString(frame.Payload) is var text && text.Contains(needle, StringComparison.Ordinal))
            {
                return text;
            }
        }
    }

    /// <summary>Reads until a Close frame and returns its status code (1005 for an empty body).</summary>
    public async Task<ushort> ReadCloseCodeAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var frame = await ReadFrameAsync(deadline - DateTime.UtcNow) ?? throw new InvalidOperationException("TCP closed without a Close frame");
            if (frame.Opcode == WebSocketOpcode.Close)
            {
                return frame.Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(frame.Payload) : WebSocketCloseStatus.NoStatusReceived;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _client.Dispose();
    }

    private async Task<string> ReadHeadAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var text = Encoding.ASCII.GetString(_buffer, _start, _end - _start);
            var endOfHead = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (endOfHead >= 0)
            {
                _start += endOfHead + 4;
                return text[..endOfHead];
            }

            if (!await FillAsync(cts.Token))
            {
                return text;
            }
        }
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            // Unread bytes move to the front, so a long stream of frames never runs the buffer out of room.
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        _end += read;
        return read > 0;
    }

    /// <summary>Like the codec's writer but without its guards, so tests can build invalid control frames.</summary>
    private static int WriteHeaderUnchecked(Span<byte> destination, WebSocketOpcode opcode, bool fin, int length, uint? key)
    {
        destination[0] = (byte)((fin ? 0x80 : 0) | (byte)opcode);
        var maskBit = key.HasValue ? 0x80 : 0;
        int at;
        if (length <= 125)
        {
            destination[1] = (byte)(maskBit | length);
            at = 2;
        }
        else if (length <= ushort.MaxValue)
        {
            destination[1] = (byte)(maskBit | 126);
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)length);
            at = 4;
        }
        else
        {
            destination[1] = (byte)(maskBit | 127);
            BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)length);
            at = 10;
        }

        if (key is uint k)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[at..], k);
            at += 4;
        }

        return at;
    }
}
