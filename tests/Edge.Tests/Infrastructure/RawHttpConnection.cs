using System.Net.Sockets;

namespace MadBase.Edge.Tests.Infrastructure;

/// <summary>
/// One keep-alive HTTP/1.1 connection driven byte by byte: the test writes request heads exactly as it wants them
/// (pipelined, split, with any header) and reads the responses one by one (Content-Length or chunked bodies).
/// </summary>
internal sealed class RawHttpConnection : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RawHttpConnection(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public static async Task<RawHttpConnection> OpenAsync(int port)
    {
        var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        client.NoDelay = true;
        return new RawHttpConnection(client);
    }

    /// <summary>A GET head for <paramref name="path"/> with Host and the given extra header lines ("Name: value").</summary>
    public static string Get(string path, params string[] headers) =>
        $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + string.Concat(headers.Select(h => h + "\r\n")) + "\r\n";

    public async Task SendAsync(string text) => await _stream.WriteAsync(Encoding.ASCII.GetBytes(text));

    public async Task SendAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    /// <summary>Reads one whole response (its body delivered to <paramref name="body"/>, or kept when null).</summary>
    public async Task<RawHttpResponse> ReadResponseAsync(Stream? body = null, CancellationToken cancellationToken = default)
    {
        var headText = await ReadHeadAsync(cancellationToken);
        var lines = headText.Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = lines.Skip(1).Where(l => l.Length > 0)
            .Select(l => (Name: l[..l.IndexOf(':', StringComparison.Ordinal)], Value: l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()))
            .ToList();
        var kept = body is null ? new MemoryStream() : null;
        var target = body ?? kept!;
        var length = headers.FirstOrDefault(h => h.Name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Value;
        if (length is not null)
        {
            await CopyAsync(target, long.Parse(length, System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
        }
        else if (headers.Any(h => h.Name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)))
        {
            while (true)
            {
                var size = Convert.ToInt64((await ReadLineAsync(cancellationToken)).Split(';')[0], 16);
                await CopyAsync(target, size, cancellationToken);
                await ReadLineAsync(cancellationToken);
                if (size == 0)
                {
                    break;
                }
            }
        }

        return new RawHttpResponse(status, headers, kept?.ToArray() ?? []);
    }

    private async Task<string> ReadHeadAsync(CancellationToken cancellationToken)
    {
        var head = new StringBuilder();
        while (true)
        {
            var line = await ReadLineAsync(cancellationToken);
            if (line.Length == 0)
            {
                return head.ToString();
            }

            head.Append(line).Append("\r\n");
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        while (true)
        {
            if (_start == _end)
            {
                await FillAsync(cancellationToken);
            }

            var b = _buffer[_start++];
            if (b == '\n')
            {
                return line.ToString().TrimEnd('\r');
            }

            line.Append((char)b);
        }
    }

    private async Task CopyAsync(Stream target, long count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            if (_start == _end)
            {
                await FillAsync(cancellationToken);
            }

            var n = (int)Math.Min(count, _end - _start);
            await target.WriteAsync(_buffer.AsMemory(_start, n), cancellationToken);
            _start += n;
            count -= n;
        }
    }

    private async Task FillAsync(CancellationToken cancellationToken)
    {
        _start = 0;
        _end = await _stream.ReadAsync(_buffer, cancellationToken);
        if (_end == 0)
        {
            throw new EndOfStreamException("the server closed the connection");
        }
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A response read by <see cref="RawHttpConnection"/>: headers in the order sent.</summary>
internal sealed record RawHttpResponse(int Status, IReadOnlyList<(string Name, string Value)> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.FirstOrDefault(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>Every header but Date, by lower-case name, sorted: what two roads must agree on.</summary>
    public string Comparable() => string.Join("\n", Headers
        .Where(h => !h.Name.Equals("Date", StringComparison.OrdinalIgnoreCase))
        .Select(h => h.Name.ToLowerInvariant() + ": " + h.Value)
        .Order(StringComparer.Ordinal));
}
