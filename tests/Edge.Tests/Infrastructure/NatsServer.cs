using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace MadBase.Edge.Tests.Infrastructure;

/// <summary>
/// A real <c>nats-server</c> (Debian's package; scripts/test.sh installs it) with JetStream on, on a loopback port
/// from <see cref="TestPorts"/>, its store under the test work directory and its output in a file. Disposal ends it
/// by PID: SIGTERM, then SIGKILL after a grace period.
/// </summary>
internal sealed partial class NatsServer : IAsyncDisposable
{
    private const int SigKill = 9;
    private const int SigTerm = 15;
    private readonly string _store;
    private Process _process;

    private NatsServer(Process process, int port, string store, string logPath)
    {
        _process = process;
        _store = store;
        Port = port;
        LogPath = logPath;
    }

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    public string LogPath { get; }

    public static async Task<NatsServer> StartAsync()
    {
        var port = TestPorts.Next();
        var name = $"nats-{port}-{Guid.NewGuid().ToString("N")[..6]}";
        var store = Path.Combine(TestEnvironment.WorkDir, name);
        Directory.CreateDirectory(store);
        var logPath = Path.Combine(TestEnvironment.WorkDir, name + ".log");
        var server = new NatsServer(Launch(port, store, logPath), port, store, logPath);
        await server.WaitListeningAsync();
        return server;
    }

    /// <summary>
    /// Ends the server (SIGTERM, by PID) and starts it again on the same port and store: clients reconnect to a server
    /// that recovered its file streams but lost every in-memory consumer.
    /// </summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        _process.Dispose();
        _process = Launch(Port, _store, LogPath);
        await WaitListeningAsync();
    }

    private static Process Launch(int port, string store, string logPath)
    {
        var binary = File.Exists("/usr/sbin/nats-server") ? "/usr/sbin/nats-server" : "nats-server";
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$0\" \"$@\" >>\"$NATS_TEST_LOG\" 2>&1");
        foreach (var argument in new[] { binary, "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-js", "-sd", store })
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["NATS_TEST_LOG"] = logPath;
        return Process.Start(info) ?? throw new InvalidOperationException("could not start nats-server");
    }

    private async Task WaitListeningAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"nats-server exited with {_process.ExitCode}:\n{File.ReadAllText(LogPath)}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>
    /// Publishes one message with the plain NATS text protocol (CONNECT, PUB, PING, then waits for PONG), as a peer
    /// node would: lets a test stand in for another node without a client library.
    /// </summary>
    public async Task PublishAsync(string subject, byte[] payload)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", Port);
        await using var stream = client.GetStream();
        using var reader = new StreamReader(stream, System.Text.Encoding.ASCII, leaveOpen: true);
        _ = await reader.ReadLineAsync(); // INFO
        var head = System.Text.Encoding.ASCII.GetBytes($"CONNECT {{\"verbose\":false,\"pedantic\":false}}\r\nPUB {subject} {payload.Length}\r\n");
        await stream.WriteAsync(head);
        await stream.WriteAsync(payload);
        await stream.WriteAsync("\r\nPING\r\n"u8.ToArray());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line == "PONG")
            {
                return;
            }

            if (line.StartsWith("-ERR", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("nats-server refused the publish: " + line);
            }
        }

        throw new IOException("nats-server closed the connection before PONG");
    }

    /// <summary>SIGKILL (outage tests): clients lose the connection at once.</summary>
    public async Task KillHardAsync()
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, SigKill);
        }

        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }

    private async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, SigTerm);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                await KillHardAsync();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
