using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using MadBase.Edge.Tests.Realtime;
using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Tests.Faults;

/// <summary>
/// Fault matrix (docs/faults.md): every postgres_changes client of a server reconnects at once after a kill -9 and
/// restart — no backoff, no jitter, the worst a fleet of clients can do. Must hold: every client rejoins (an attempt
/// that fails is retried after a second, as realtime-js does, and counted), the server's memory stays bounded, and every
/// client is live afterwards: the next committed row reaches each of them.
/// </summary>
/// <remarks>
/// <c>MADBASE_TEST_STORM_CLIENTS</c> (default 2,000, so the suite stays short) scales it to the issue's 10,000 by hand.
/// </remarks>
public sealed class ReconnectStormTests
{
    private const string Path = "/realtime/v1/websocket?apikey={0}&vsn=2.0.0";
    private const string Join = """["1","1","realtime:storm","phx_join",{"config":{"postgres_changes":[{"event":"INSERT","schema":"public","table":"items"}]}}]""";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task AllClientsReconnectAtOnceAfterKillDashNine_AllRejoinMemoryBoundedEachGetsTheNextRow()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("MADBASE_TEST_STORM_CLIENTS"), out var n) ? n : 2000;
        var slot = RealtimeServerFixture.NewSlotName();
        var (database, edge) = await RealtimeServerFixture.StartEdgeAsync(slot, env => env["MADBASE_REALTIME_IDLE_TIMEOUT_MS"] = "300000");
        var clients = new List<StormClient>();
        try
        {
            await TestSql.ExecuteAsync(database, """
                create table public.items (id bigint primary key, label text not null);
                grant select on public.items to anon, authenticated;
                alter publication madbase_pub add table public.items;
                """);
            await edge.WaitForStreamingAsync();
            var path = string.Format(CultureInfo.InvariantCulture, Path, Tokens.Anon);
            using (var gate = new SemaphoreSlim(200))
            {
                clients.AddRange(await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
                {
                    await gate.WaitAsync();
                    try
                    {
                        return await StormClient.JoinAsync(edge.Port, path, DateTime.UtcNow + s_timeout);
                    }
                    finally
                    {
                        gate.Release();
                    }
                })));
            }

            var rssBefore = Rss(edge.Pid, "VmRSS");
            await edge.KillHardAsync();
            var environment = new Dictionary<string, string>(edge.Environment);
            await edge.DisposeAsync();
            var restart = Stopwatch.StartNew();
            edge = EdgeProcess.Launch(environment, [], edge.Port, $"edge-{edge.Port}-storm-{Guid.NewGuid().ToString("N")[..6]}");

            // Every client at once, retrying a refused connect every 50 ms until the new process listens.
            var deadline = DateTime.UtcNow + s_timeout;
            var rejoined = await Task.WhenAll(clients.Select(async client =>
            {
                await client.RejoinAsync(edge.Port, path, deadline);
                return restart.Elapsed;
            }));
            var allJoined = rejoined.Max();
            var peakRss = Rss(edge.Pid, "VmHWM");

            await TestSql.ExecuteAsync(database, "insert into public.items values (1, 'after the storm')");
            var live = await Task.WhenAll(clients.Select(client => client.WaitForRowAsync("\"id\":1,", deadline)));

            var figures = $"FAULT reconnect-storm: clients={count}, rejoined={rejoined.Length}, all_joined_s={allJoined.TotalSeconds:F1}, " +
                          $"first_joined_s={rejoined.Min().TotalSeconds:F1}, refused_connects={clients.Sum(c => c.RefusedConnects)}, " +
                          $"failed_attempts={clients.Sum(c => c.FailedAttempts)}, " +
                          $"rss_before_mib={rssBefore / 1048576.0:F1}, peak_rss_after_restart_mib={peakRss / 1048576.0:F1}, live={live.Count(x => x)}";
            Console.WriteLine(figures);
            await File.AppendAllTextAsync(System.IO.Path.Combine(TestEnvironment.WorkDir, "faults.txt"), figures + "\n");

            Assert.Equal(count, live.Count(x => x));

            // Bounded: the idle sockets' own cost (a few KiB each, README) on top of a small server, not a burst's queues.
            Assert.True(peakRss < (96L << 20) + (count * 16L * 1024), $"peak RSS {peakRss / 1048576.0:F1} MiB for {count} clients\n{figures}");
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }

            await RealtimeServerFixture.StopEdgeAsync(edge, database, slot);
        }
    }

    private static long Rss(int pid, string field) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;

    /// <summary>A postgres_changes subscriber on a plain socket with a small buffer: light enough for thousands in one process.</summary>
    private sealed class StormClient : IDisposable
    {
        private TcpClient _client = new();
        private byte[] _pending = new byte[8192];
        private int _length;

        public int RefusedConnects { get; private set; }

        public static async Task<StormClient> JoinAsync(int port, string path, DateTime deadline)
        {
            var client = new StormClient();
            await client.RejoinAsync(port, path, deadline);
            return client;
        }

        /// <summary>Attempts that connected but ended before the join was live (the client then tries again, as realtime-js does).</summary>
        public int FailedAttempts { get; private set; }

        /// <summary>
        /// Connects (retrying every 50 ms while refused: the new process is not listening yet), upgrades, joins and
        /// waits for the binding to be live; an attempt that ends before that is retried after realtime-js's first
        /// reconnect delay (1 s).
        /// </summary>
        public async Task RejoinAsync(int port, string path, DateTime deadline)
        {
            while (true)
            {
                _client.Dispose();
                _client = new TcpClient { NoDelay = true, ReceiveBufferSize = 8192 };
                try
                {
                    await _client.ConnectAsync("127.0.0.1", port);
                }
                catch (SocketException) when (DateTime.UtcNow < deadline)
                {
                    RefusedConnects++;
                    await Task.Delay(50);
                    continue;
                }

                try
                {
                    _length = 0;
                    var stream = _client.GetStream();
                    await stream.WriteAsync(RawWebSocket.UpgradeRequest(port, path));
                    await stream.WriteAsync(RawWebSocket.ClientFrame(WebSocketOpcode.Text, System.Text.Encoding.UTF8.GetBytes(Join)));
                    await ReadUntilAsync("Subscribed to PostgreSQL", deadline);
                    return;
                }
                catch (IOException) when (DateTime.UtcNow < deadline)
                {
                    FailedAttempts++;
                    await Task.Delay(1000);
                }
            }
        }

        /// <summary>True once a text frame containing <paramref name="needle"/> arrived.</summary>
        public async Task<bool> WaitForRowAsync(string needle, DateTime deadline)
        {
            await ReadUntilAsync(needle, deadline);
            return true;
        }

        public void Dispose() => _client.Dispose();

        /// <summary>Reads until <paramref name="needle"/> is in what arrived; keeps only the bytes after it.</summary>
        private async Task ReadUntilAsync(string needle, DateTime deadline)
        {
            var stream = _client.GetStream();
            using var cts = new CancellationTokenSource(deadline - DateTime.UtcNow);
            var marker = System.Text.Encoding.UTF8.GetBytes(needle);
            while (true)
            {
                var found = _pending.AsSpan(0, _length).IndexOf(marker);
                if (found >= 0)
                {
                    var after = found + marker.Length;
                    _pending.AsSpan(after, _length - after).CopyTo(_pending);
                    _length -= after;
                    return;
                }

                if (_length == _pending.Length)
                {
                    Array.Resize(ref _pending, _pending.Length * 2);
                }

                var read = await stream.ReadAsync(_pending.AsMemory(_length), cts.Token);
                if (read == 0)
                {
                    throw new IOException($"closed before \"{needle}\" arrived");
                }

                _length += read;
            }
        }
    }
}
