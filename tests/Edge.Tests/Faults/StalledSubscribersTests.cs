using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using MadBase.Edge.Tests.Realtime;
using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Tests.Faults;

/// <summary>
/// Fault matrix (docs/faults.md): 1,000 subscribers of one broadcast topic stop reading at once while it keeps
/// flowing. Must hold: the server's memory stays bounded (each queue is capped; the stalled ones are closed after
/// the grace), subscribers that keep reading get every message and stay, and each stalled one is told: closed with
/// 1008 and counted. The Close frame reaches a client that reads again within the close handshake (2 × 2 s); these
/// read only after all were closed, so for them the connection has ended — both outcomes are counted.
/// (RealtimeLifecycleTests.SlowClient_QueueFullPastGrace_Closed1008AndCounted is the one-client case.)
/// </summary>
public sealed partial class StalledSubscribersTests
{
    private const int Stalled = 1000;
    private const int Readers = 5;
    private const int Queue = 64;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ThousandSubscribersStopReading_MemoryBoundedOthersGetEverythingEachStalledOneTold()
    {
        var slot = RealtimeServerFixture.NewSlotName();
        var (database, edge) = await RealtimeServerFixture.StartEdgeAsync(slot, env =>
        {
            env["MADBASE_REALTIME_IDLE_TIMEOUT_MS"] = "120000";
            env["MADBASE_REALTIME_OUTBOUND_QUEUE"] = Queue.ToString(CultureInfo.InvariantCulture);
            env["MADBASE_REALTIME_OUTBOUND_GRACE_MS"] = "500";
            env["MADBASE_REALTIME_MAX_EVENTS_PER_SECOND"] = "1000000";
            env["MADBASE_REALTIME_MAX_BYTES_PER_SECOND"] = "1000000000";
            env["MADBASE_REALTIME_MAX_JOINS_PER_SECOND"] = "1000000";
        });
        var stalled = new List<StalledClient>();
        var readers = new List<RawWebSocket>();
        try
        {
            var path = $"/realtime/v1/websocket?apikey={Tokens.Anon}&vsn=2.0.0";
            for (var i = 0; i < Readers; i++)
            {
                var reader = await RawWebSocket.ConnectAsync(edge.Port, path);
                await reader.SendTextAsync("""["1","1","realtime:flood","phx_join",{"config":{"broadcast":{"self":true}}}]"""); // the publisher counts its own too
                await reader.ReadTextContainingAsync("phx_reply", s_timeout);
                readers.Add(reader);
            }

            for (var i = 0; i < Stalled; i++)
            {
                stalled.Add(await StalledClient.JoinAsync(edge.Port, path, "realtime:flood"));
            }

            var rssBefore = RssBytes(edge.Pid);

            // From here on the 1,000 never read. Readers drain continuously, counting every broadcast once.
            var received = new int[Readers];
            var duplicates = 0;
            using var stopReading = new CancellationTokenSource();
            var draining = readers.Select((r, i) => DrainAsync(r, n => received[i] = n, () => Interlocked.Increment(ref duplicates), stopReading.Token)).ToArray();
            var publisher = readers[0];
            var pad = new string('x', 4096);
            var clock = Stopwatch.StartNew();
            var sent = 0;
            long peakRss = rssBefore;
            var closedAll = TimeSpan.Zero;
            while (true)
            {
                for (var burst = 0; burst < 10; burst++, sent++)
                {
                    await publisher.SendTextAsync($$$"""["1","b{{{sent}}}","realtime:flood","broadcast",{"type":"broadcast","event":"e","payload":{"n":{{{sent}}},"pad":"{{{pad}}}"}}]""");
                }

                peakRss = Math.Max(peakRss, RssBytes(edge.Pid));
                var metrics = await edge.Http.GetStringAsync("/metrics");
                if (SlowCloses().Match(metrics) is { Success: true } m && int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) >= Stalled)
                {
                    closedAll = clock.Elapsed;
                    break;
                }

                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), "not every stalled subscriber was closed:\n" + metrics);
                await Task.Delay(100);
            }

            // A few more after the stalled ones are gone: the readers must get these too.
            for (var i = 0; i < 20; i++, sent++)
            {
                await publisher.SendTextAsync($$$"""["1","b{{{sent}}}","realtime:flood","broadcast",{"type":"broadcast","event":"e","payload":{"n":{{{sent}}},"pad":"x"}}]""");
            }

            var deadline = DateTime.UtcNow + s_timeout;
            while (received.Any(n => n < sent) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            await stopReading.CancelAsync();
            await Task.WhenAll(draining);

            // Each stalled one reads again: what was in flight, then the 1008 Close (or an ended connection).
            var told = 0;
            var ended = 0;
            var other = new List<string>();
            await Parallel.ForEachAsync(stalled, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (client, _) =>
            {
                var outcome = await client.ReadToEndAsync(TimeSpan.FromSeconds(20));
                if (outcome == "1008")
                {
                    Interlocked.Increment(ref told);
                }
                else if (outcome == "ended")
                {
                    Interlocked.Increment(ref ended);
                }
                else
                {
                    lock (other)
                    {
                        other.Add(outcome);
                    }
                }
            });

            var rssAfter = RssBytes(edge.Pid);
            FaultServer.Report(
                "1000-subscribers-stop-reading",
                ("stalled", Stalled),
                ("readers", Readers),
                ("broadcasts", sent),
                ("reader_messages_lost", received.Sum(n => sent - n)),
                ("reader_duplicates", duplicates),
                ("all_stalled_closed_ms", (int)closedAll.TotalMilliseconds),
                ("told_1008", told),
                ("connection_ended_without_close", ended),
                ("client_still_reading_after_20s", other.Count),
                ("rss_before_mib", rssBefore / (1 << 20)),
                ("rss_peak_mib", peakRss / (1 << 20)),
                ("rss_after_mib", rssAfter / (1 << 20)));
            if (other.Count > 0)
            {
                // A stalled client still reading its backlog after 20 s (the suite's other tests share the CPU) is only
                // acceptable if the server has let go of it: then only the readers are still registered.
                Assert.Matches($@"(?m)^madbase_realtime_connections {Readers}$", await edge.Http.GetStringAsync("/metrics"));
                Assert.All(other, o => Assert.Equal("still open after 20 s", o));
            }

            Assert.Equal(Stalled, told + ended + other.Count);
            Assert.Matches($@"(?m)^madbase_realtime_slow_client_closes_total {Stalled}$", await edge.Http.GetStringAsync("/metrics"));
            Assert.All(received, n => Assert.Equal(sent, n));
            Assert.Equal(0, duplicates);
            Assert.True(peakRss - rssBefore < 256L << 20, $"RSS grew by {(peakRss - rssBefore) >> 20} MiB with {Stalled} stalled subscribers (queues of {Queue})");
            Assert.False(edge.HasExited);
        }
        finally
        {
            foreach (var client in stalled)
            {
                client.Dispose();
            }

            foreach (var reader in readers)
            {
                await reader.DisposeAsync();
            }

            await RealtimeServerFixture.StopEdgeAsync(edge, database, slot);
        }
    }

    /// <summary>Reads a reader's frames, counting distinct broadcast numbers (a repeat is a duplicate) and answering nothing.</summary>
    private static async Task DrainAsync(RawWebSocket socket, Action<int> count, Action duplicate, CancellationToken stop)
    {
        var seen = new HashSet<int>();
        while (!stop.IsCancellationRequested)
        {
            (WebSocketOpcode Opcode, byte[] Payload)? frame;
            try
            {
                frame = await socket.ReadFrameAsync(TimeSpan.FromMilliseconds(500));
            }
            catch (OperationCanceledException)
            {
                continue; // nothing within the interval: look at the stop token again
            }

            if (frame is null)
            {
                return; // the server closed a reader: the count stays short and the test says so
            }

            var text = Encoding.UTF8.GetString(frame.Value.Payload);
            if (Number().Match(text) is { Success: true } m && text.Contains(",\"broadcast\",{", StringComparison.Ordinal))
            {
                if (!seen.Add(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)))
                {
                    duplicate();
                }

                count(seen.Count);
            }
        }
    }

    private static long RssBytes(int pid) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;

    [GeneratedRegex(@"(?m)^madbase_realtime_slow_client_closes_total (\d+)")]
    private static partial Regex SlowCloses();

    [GeneratedRegex("\"n\":(\\d+)")]
    private static partial Regex Number();

    /// <summary>
    /// A subscriber that joins and then never reads (with a 4 KiB receive buffer, so the kernel holds little for
    /// it): light enough for a thousand in one test process.
    /// </summary>
    private sealed class StalledClient : IDisposable
    {
        private readonly TcpClient _client;
        private readonly MemoryStream _pending = new();

        private StalledClient(TcpClient client) => _client = client;

        public static async Task<StalledClient> JoinAsync(int port, string path, string topic)
        {
            var client = new TcpClient { ReceiveBufferSize = 4096, NoDelay = true };
            await client.ConnectAsync("127.0.0.1", port);
            var stalled = new StalledClient(client);
            var stream = client.GetStream();
            await stream.WriteAsync(RawWebSocket.UpgradeRequest(port, path));
            await stream.WriteAsync(RawWebSocket.ClientFrame(WebSocketOpcode.Text, Encoding.UTF8.GetBytes($$$"""["1","1","{{{topic}}}","phx_join",{"config":{}}]""")));
            var buffer = new byte[4096];
            using var cts = new CancellationTokenSource(s_timeout);
            while (!Encoding.ASCII.GetString(stalled._pending.GetBuffer(), 0, (int)stalled._pending.Length).Contains("phx_reply", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, cts.Token);
                if (read == 0)
                {
                    throw new IOException("closed before the join reply");
                }

                stalled._pending.Write(buffer, 0, read);
            }

            stalled._pending.SetLength(0);
            return stalled;
        }

        /// <summary>Reads until the server closes: "1008" when a Close with that code came, "ended" when the connection just ended.</summary>
        public async Task<string> ReadToEndAsync(TimeSpan timeout)
        {
            var stream = _client.GetStream();
            var buffer = new byte[64 * 1024];
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                while (true)
                {
                    var read = await stream.ReadAsync(buffer, cts.Token);
                    if (read == 0)
                    {
                        break;
                    }

                    _pending.Write(buffer, 0, read);
                }
            }
            catch (IOException)
            {
                // Reset: the server gave up on the close handshake.
            }
            catch (OperationCanceledException)
            {
                return "still open after " + timeout.TotalSeconds + " s";
            }

            var bytes = _pending.GetBuffer().AsSpan(0, (int)_pending.Length);
            var position = 0;
            while (WebSocketFrameDecoder.TryReadHeader(bytes[position..], expectMasked: false, 1 << 24, out var header, out var headerLength)
                   && bytes.Length - position - headerLength >= header.PayloadLength)
            {
                if (header.Opcode == WebSocketOpcode.Close)
                {
                    var payload = bytes.Slice(position + headerLength, (int)header.PayloadLength);
                    return payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(payload).ToString(CultureInfo.InvariantCulture) : "close without code";
                }

                position += headerLength + (int)header.PayloadLength;
            }

            return "ended";
        }

        public void Dispose()
        {
            _client.Dispose();
            _pending.Dispose();
        }
    }
}
