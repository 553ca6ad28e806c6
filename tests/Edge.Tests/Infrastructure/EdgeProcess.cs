using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MadBase.Edge.Tests.Infrastructure;

/// <summary>
/// The published AOT binary running as a child process on a fixed loopback port. Output goes to a file (no pipe
/// held open). Disposal ends the process by PID: SIGTERM first, SIGKILL after a grace period.
/// </summary>
internal sealed partial class EdgeProcess : IAsyncDisposable
{
    private const int SigKill = 9;
    private const int SigTerm = 15;
    private readonly Process _process;

    private EdgeProcess(Process process, int port, string logPath, Dictionary<string, string> environment)
    {
        _process = process;
        Port = port;
        LogPath = logPath;
        Environment = environment;
        Http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(100) };
    }

    public int Port { get; }

    public Uri BaseUri => new($"http://127.0.0.1:{Port}/");

    public string LogPath { get; }

    public IReadOnlyDictionary<string, string> Environment { get; }

    public HttpClient Http { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Log => File.Exists(LogPath) ? ReadShared(LogPath) : "";

    /// <summary>The environment a test server gets unless a test overrides entries.</summary>
    public static Dictionary<string, string> DefaultEnvironment(string databaseConnectionString, int port, string name)
    {
        var dir = Path.Combine(TestEnvironment.WorkDir, name);
        var environment = new Dictionary<string, string>
        {
            ["MADBASE_LISTEN"] = $"http://127.0.0.1:{port}",
            ["MADBASE_DATABASE_URL"] = databaseConnectionString,
            ["MADBASE_JWT_SECRET"] = TestEnvironment.JwtSecret,
            ["MADBASE_STORAGE_BACKEND"] = "file",
            ["MADBASE_STORAGE_DIR"] = Path.Combine(dir, "storage"),
            ["MADBASE_SCRATCH_DIR"] = Path.Combine(dir, "scratch"),

            // Slot names are cluster-wide while every test owns a database: one slot per test database.
            ["MADBASE_SLOT"] = SlotFor(databaseConnectionString),
        };

        // The run's transport (MADBASE_TEST_REALTIME_TRANSPORT); a test that names one in its own configure wins.
        if (TestEnvironment.RealtimeTransport is { } transport)
        {
            environment["MADBASE_REALTIME_TRANSPORT"] = transport;
        }

        return environment;
    }

    public static string SlotFor(string databaseConnectionString)
    {
        var database = new Npgsql.NpgsqlConnectionStringBuilder(databaseConnectionString).Database ?? "postgres";
        var name = new string(database.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
        return ("s_" + name)[..Math.Min(63, name.Length + 2)];
    }

    /// <summary>Starts the binary with <paramref name="configure"/> applied to the default environment and waits for /health.</summary>
    public static async Task<EdgeProcess> StartAsync(string databaseConnectionString, Action<Dictionary<string, string>>? configure = null, bool waitForReady = true, int? port = null)
    {
        var chosenPort = port ?? TestPorts.Next();
        var name = $"edge-{chosenPort}-{Guid.NewGuid().ToString("N")[..6]}";
        var environment = DefaultEnvironment(databaseConnectionString, chosenPort, name);
        configure?.Invoke(environment);
        var edge = Launch(environment, [], chosenPort, name);
        try
        {
            await edge.WaitUntilAsync(waitForReady ? "/ready" : "/health", TimeSpan.FromSeconds(30));
        }
        catch
        {
            // Nobody else holds a reference: stop it here, or it outlives the test run and keeps its port.
            await edge.DisposeAsync();
            throw;
        }

        return edge;
    }

    /// <summary>Starts the binary with exactly this environment and arguments, without waiting.</summary>
    public static EdgeProcess Launch(Dictionary<string, string> environment, IReadOnlyList<string> arguments, int port, string name)
    {
        var logPath = Path.Combine(TestEnvironment.WorkDir, name + ".log");
        var info = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = false,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
        };

        // exec through sh so stdout/stderr go straight to a file and the PID is the binary's own.
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$0\" \"$@\" >>\"$MADBASE_TEST_LOG\" 2>&1");
        info.ArgumentList.Add(TestEnvironment.BinaryPath);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Clear();
        info.Environment["PATH"] = System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        info.Environment["HOME"] = TestEnvironment.WorkDir;
        info.Environment["MADBASE_TEST_LOG"] = logPath;
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + TestEnvironment.BinaryPath);
        return new EdgeProcess(process, port, logPath, environment);
    }

    /// <summary>
    /// Until <c>/ready</c> reports the replication stream as streaming: set only after the slot exists and
    /// <c>START_REPLICATION</c> began. (A slot is already "active" while it is being created, and a row committed
    /// before its consistent point is rightly never decoded, so an active slot is not enough.)
    /// </summary>
    public async Task WaitForStreamingAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var ready = await Http.GetStringAsync("/ready");
            if (ready.Contains("streaming", StringComparison.Ordinal) && !ready.Contains("not streaming", StringComparison.Ordinal))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("replication did not start streaming:\n" + Log);
            }

            await Task.Delay(100);
        }
    }

    public async Task WaitUntilAsync(string path, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        using var probe = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(3) };
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"edge exited with {_process.ExitCode} before {path} answered 200:\n{Log}");
            }

            try
            {
                using var response = await probe.GetAsync(path);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{path} did not answer 200 within {timeout.TotalSeconds} s:\n{Log}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Sends SIGTERM and waits for the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, SigTerm);
        }

        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: the process gets no chance to clean up (crash tests).</summary>
    public async Task KillHardAsync()
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, SigKill);
        }

        await _process.WaitForExitAsync();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                await StopAsync(TimeSpan.FromSeconds(15));
            }
        }
        catch (OperationCanceledException)
        {
            await KillHardAsync();
        }

        _process.Dispose();
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
