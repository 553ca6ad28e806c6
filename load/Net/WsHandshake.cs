using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using MadBase.Protocol.WebSockets;

namespace MadBase.Load.Net;

/// <summary>
/// Client side of the RFC 6455 §4.1 opening handshake over a blocking socket. Connections are opened one at a time
/// before any load is applied, so blocking I/O here costs nothing that is measured.
/// </summary>
internal static class WsHandshake
{
    /// <summary>Response headers larger than this are not a WebSocket upgrade we can use.</summary>
    private const int MaxResponseHeaderBytes = 8 * 1024;

    /// <summary>
    /// Connects to <paramref name="endpoint"/>, sends the upgrade for <paramref name="pathAndQuery"/>, and checks the
    /// 101 status and Sec-WebSocket-Accept. Returns the open socket (still blocking) and any bytes the server sent
    /// after the response headers (the first frames may arrive in the same segment).
    /// </summary>
    public static (Socket Socket, byte[] Leftover) Connect(IPEndPoint endpoint, string pathAndQuery, TimeSpan timeout)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            ReceiveTimeout = (int)timeout.TotalMilliseconds,
            SendTimeout = (int)timeout.TotalMilliseconds,
            // Abortive close (RST) on dispose: tens of thousands of connections per run would otherwise park
            // client ports in TIME_WAIT and exhaust the ephemeral range between scenarios.
            LingerState = new LingerOption(true, 0),
        };
        try
        {
            socket.Connect(endpoint);
            Span<byte> keyBytes = stackalloc byte[16];
            RandomNumberGenerator.Fill(keyBytes);
            string key = Convert.ToBase64String(keyBytes);
            string request =
                $"GET {pathAndQuery} HTTP/1.1\r\nHost: {endpoint}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
            SendAll(socket, Encoding.ASCII.GetBytes(request));

            byte[] buffer = new byte[MaxResponseHeaderBytes];
            int filled = 0;
            int headerEnd;
            while ((headerEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (filled == buffer.Length)
                {
                    throw new IOException("Upgrade response headers exceed 8 KiB.");
                }

                int n = socket.Receive(buffer, filled, buffer.Length - filled, SocketFlags.None);
                if (n == 0)
                {
                    throw new IOException($"Server closed the connection during the handshake ({Describe(buffer, filled)}).");
                }

                filled += n;
            }

            CheckResponse(Encoding.ASCII.GetString(buffer, 0, headerEnd), key);
            int bodyStart = headerEnd + 4;
            return (socket, buffer.AsSpan(bodyStart, filled - bodyStart).ToArray());
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static void SendAll(Socket socket, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int n = socket.Send(data, SocketFlags.None);
            data = data.Slice(n);
        }
    }

    private static void CheckResponse(string head, string key)
    {
        string[] lines = head.Split("\r\n");
        if (!lines[0].StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
        {
            throw new IOException($"Upgrade refused: {lines[0]}");
        }

        Span<char> expected = stackalloc char[WebSocketHandshake.AcceptLength];
        if (!WebSocketHandshake.TryComputeAccept(key, expected))
        {
            throw new InvalidOperationException("Generated an invalid Sec-WebSocket-Key.");
        }

        foreach (string line in lines.AsSpan(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line.AsSpan(0, colon).Trim().Equals("Sec-WebSocket-Accept", StringComparison.OrdinalIgnoreCase))
            {
                if (line.AsSpan(colon + 1).Trim().SequenceEqual(expected))
                {
                    return;
                }

                throw new IOException($"Sec-WebSocket-Accept mismatch: {line}");
            }
        }

        throw new IOException("Upgrade response lacks Sec-WebSocket-Accept.");
    }

    private static string Describe(byte[] buffer, int filled) =>
        filled == 0 ? "no response" : Encoding.ASCII.GetString(buffer, 0, Math.Min(filled, 120)).ReplaceLineEndings(" ");
}
