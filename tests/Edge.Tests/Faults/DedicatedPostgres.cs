namespace MadBase.Edge.Tests.Faults;

/// <summary>
/// A PostgreSQL cluster of a fault test's own (scripts/pg.sh, under the run's work directory, on a free test port),
/// so it can be restarted and killed -9 without disturbing the tests sharing the run's cluster.
/// </summary>
internal sealed class DedicatedPostgres : IAsyncDisposable
{
    private readonly string _script;

    private DedicatedPostgres(string dir, int port, string script)
    {
        Dir = dir;
        Port = port;
        _script = script;
    }

    public string Dir { get; }

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false;Timeout=3";

    public static async Task<DedicatedPostgres> StartAsync()
    {
        var script = Path.Combine(RepoRoot(), "scripts", "pg.sh");
        var pg = new DedicatedPostgres(Path.Combine(TestEnvironment.WorkDir, "pg-fault-" + Guid.NewGuid().ToString("N")[..6]), TestPorts.Next(), script);
        await pg.StartAgainAsync();
        return pg;
    }

    /// <summary>Starts the (stopped or killed) cluster; after a kill -9 this runs crash recovery.</summary>
    public async Task StartAgainAsync()
    {
        if (await Commands.RunAsync(_script, "start", Dir, Port.ToString(System.Globalization.CultureInfo.InvariantCulture)) is { } failure)
        {
            throw new InvalidOperationException(failure);
        }
    }

    /// <summary>A clean restart's first half: <c>pg_ctl stop -m fast</c> (clients are disconnected, a checkpoint is written).</summary>
    public async Task StopAsync()
    {
        if (await Commands.RunAsync(_script, "stop", Dir) is { } failure)
        {
            throw new InvalidOperationException(failure);
        }
    }

    /// <summary>SIGKILL to the postmaster and every backend: no checkpoint, no goodbye to any client.</summary>
    public async Task KillHardAsync()
    {
        var postmaster = int.Parse(File.ReadLines(Path.Combine(Dir, "data", "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);
        var children = File.Exists($"/proc/{postmaster}/task/{postmaster}/children")
            ? File.ReadAllText($"/proc/{postmaster}/task/{postmaster}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            : [];
        Assert.Null(await Commands.RunAsync("kill", ["-9", postmaster.ToString(System.Globalization.CultureInfo.InvariantCulture), .. children]));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (Directory.Exists($"/proc/{postmaster}") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Commands.RunAsync(_script, "stop", Dir);
        if (File.Exists(Path.Combine(Dir, "server.log")))
        {
            File.Copy(Path.Combine(Dir, "server.log"), Dir + ".server.log", overwrite: true); // kept for a failure's diagnosis
        }

        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "MadBase.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("MadBase.sln not found above " + AppContext.BaseDirectory);
    }
}
