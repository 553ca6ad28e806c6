using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MadBase.Protocol.Benchmarks.Replication;

/// <summary>
/// A loopback stand-in for a PostgreSQL logical walsender, so Npgsql's built-in pgoutput decoder (which only reads
/// from a live connection) can be benchmarked on the same captured bytes as ours. It answers the startup handshake
/// with AuthenticationOk, then answers START_REPLICATION with CopyBothResponse and streams XLogData forever:
/// the Relation message once, then the captured changes in a loop. Client feedback is read and discarded.
/// Benchmark-only: no authentication, no TLS, one connection at a time.
/// </summary>
internal sealed class FakeWalSender : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly byte[] _prologue;
    private readonly byte[] _loop;
    private readonly List<Socket> _clients = [];

    public FakeWalSender(byte[] relation, IReadOnlyList<byte[]> changes)
    {
        _prologue = Frame(relation);
        using var loop = new MemoryStream();
        foreach (var change in changes)
        {
            loop.Write(Frame(change));
        }

        _loop = loop.ToArray();
        _listener.Start();
        _ = Task.Run(AcceptLoopAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_clients)
        {
            foreach (var client in _clients)
            {
                client.Dispose();
            }
        }

        _stop.Dispose();
    }

    /// <summary>CopyData('d') wrapping XLogData('w'): 1 + 4 length + 1 'w' + 8 walStart + 8 walEnd + 8 clock + payload.</summary>
    private static byte[] Frame(byte[] payload)
    {
        var frame = new byte[1 + 4 + 25 + payload.Length];
        frame[0] = (byte)'d';
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), 4 + 25 + payload.Length);
        frame[5] = (byte)'w';
        payload.CopyTo(frame.AsSpan(30));
        return frame;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            client.NoDelay = true;
            lock (_clients)
            {
                _clients.Add(client);
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        try
        {
            await using var stream = new NetworkStream(client, ownsSocket: false);
            await ReadStartupAsync(stream).ConfigureAwait(false);
            await stream.WriteAsync(Handshake(), _stop.Token).ConfigureAwait(false);

            while (true)
            {
                var (code, body) = await ReadMessageAsync(stream).ConfigureAwait(false);
                if (code == (byte)'X')
                {
                    return;
                }

                if (code == (byte)'Q' && Encoding.UTF8.GetString(body).StartsWith("START_REPLICATION", StringComparison.Ordinal))
                {
                    break;
                }

                // Anything else (never sent by Npgsql's replication path in practice): complete it as an empty query.
                await stream.WriteAsync(new byte[] { (byte)'I', 0, 0, 0, 4, (byte)'Z', 0, 0, 0, 5, (byte)'I' }, _stop.Token).ConfigureAwait(false);
            }

            // CopyBothResponse: 'W' Int32 7, Int8 0 (text), Int16 0 columns.
            await stream.WriteAsync(new byte[] { (byte)'W', 0, 0, 0, 7, 0, 0, 0 }, _stop.Token).ConfigureAwait(false);
            _ = Task.Run(() => DrainAsync(stream));
            await stream.WriteAsync(_prologue, _stop.Token).ConfigureAwait(false);
            while (!_stop.IsCancellationRequested)
            {
                await stream.WriteAsync(_loop, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested || !client.Connected)
        {
            // Benchmark teardown or client went away.
        }
        catch (IOException)
        {
            // Client closed the connection.
        }
    }

    private async Task DrainAsync(NetworkStream stream)
    {
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer, _stop.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
        }
    }

    private async Task ReadStartupAsync(NetworkStream stream)
    {
        while (true)
        {
            var header = new byte[4];
            await stream.ReadExactlyAsync(header, _stop.Token).ConfigureAwait(false);
            var body = new byte[BinaryPrimitives.ReadInt32BigEndian(header) - 4];
            await stream.ReadExactlyAsync(body, _stop.Token).ConfigureAwait(false);
            var code = BinaryPrimitives.ReadInt32BigEndian(body);

            // SSLRequest (80877103) / GSSENCRequest (80877104): refuse, the client retries in plain text.
            if (code is 80877103 or 80877104)
            {
                await stream.WriteAsync("N"u8.ToArray(), _stop.Token).ConfigureAwait(false);
                continue;
            }

            return;
        }
    }

    private async Task<(byte Code, byte[] Body)> ReadMessageAsync(NetworkStream stream)
    {
        var header = new byte[5];
        await stream.ReadExactlyAsync(header, _stop.Token).ConfigureAwait(false);
        var body = new byte[BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1)) - 4];
        await stream.ReadExactlyAsync(body, _stop.Token).ConfigureAwait(false);
        return (header[0], body);
    }

    /// <summary>AuthenticationOk, the ParameterStatus values Npgsql reads, BackendKeyData, ReadyForQuery(idle).</summary>
    private static byte[] Handshake()
    {
        using var ms = new MemoryStream();
        ms.Write([(byte)'R', 0, 0, 0, 8, 0, 0, 0, 0]);
        foreach (var (name, value) in new[]
        {
            ("server_version", "15.18"), ("server_encoding", "UTF8"), ("client_encoding", "UTF8"), ("DateStyle", "ISO, MDY"),
            ("integer_datetimes", "on"), ("TimeZone", "UTC"), ("standard_conforming_strings", "on"),
        })
        {
            var n = Encoding.UTF8.GetBytes(name);
            var v = Encoding.UTF8.GetBytes(value);
            var len = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(len, 4 + n.Length + 1 + v.Length + 1);
            ms.WriteByte((byte)'S');
            ms.Write(len);
            ms.Write(n);
            ms.WriteByte(0);
            ms.Write(v);
            ms.WriteByte(0);
        }

        ms.Write([(byte)'K', 0, 0, 0, 12, 0, 0, 0, 42, 0, 0, 0, 7]);
        ms.Write([(byte)'Z', 0, 0, 0, 5, (byte)'I']);
        return ms.ToArray();
    }
}
