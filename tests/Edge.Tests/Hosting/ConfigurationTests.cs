namespace MadBase.Edge.Tests.Hosting;

public sealed class ConfigurationTests
{
    public static TheoryData<string, string, string> BadSettings => new()
    {
        { "MADBASE_LISTEN", "localhost:5000", "MADBASE_LISTEN" },
        { "MADBASE_LISTEN", "https://127.0.0.1:5000", "MADBASE_LISTEN" },
        { "MADBASE_DATABASE_URL", "postgres://", "MADBASE_DATABASE_URL" },
        { "MADBASE_DATABASE_URL", "Host=127.0.0.1;Bogus Key=1", "MADBASE_DATABASE_URL" },
        { "MADBASE_JWT_SECRET", "short", "MADBASE_JWT_SECRET" },
        { "MADBASE_JWT_SECRET", "", "MADBASE_JWT_SECRET" },
        { "MADBASE_STORAGE_BACKEND", "ftp", "MADBASE_STORAGE_BACKEND" },
        { "MADBASE_S3_FORCE_PATH_STYLE", "maybe", "MADBASE_S3_FORCE_PATH_STYLE" },
        { "MADBASE_PUBLICATION", "Bad-Name", "MADBASE_PUBLICATION" },
        { "MADBASE_SLOT", "slot; drop table x", "MADBASE_SLOT" },
        { "MADBASE_SHUTDOWN_TIMEOUT", "-3", "MADBASE_SHUTDOWN_TIMEOUT" },
        { "MADBASE_REALTIME_MAX_CHANNELS", "0", "MADBASE_REALTIME_MAX_CHANNELS" },
        { "MADBASE_REALTIME_MAX_EVENTS_PER_SECOND", "0", "MADBASE_REALTIME_MAX_EVENTS_PER_SECOND" },
        { "MADBASE_REALTIME_MAX_JOINS_PER_SECOND", "many", "MADBASE_REALTIME_MAX_JOINS_PER_SECOND" },
        { "MADBASE_UPLOAD_EXPIRY", "0", "MADBASE_UPLOAD_EXPIRY" },
        { "MADBASE_REALTIME_TRANSPORT", "io_uring", "MADBASE_REALTIME_TRANSPORT" },
        { "MADBASE_IDLE_TRIM_INTERVAL", "-1", "MADBASE_IDLE_TRIM_INTERVAL" },
        { "MADBASE_CORS_ORIGINS", "app.example.com", "MADBASE_CORS_ORIGINS" },
        { "MADBASE_CORS_ORIGINS", "https://app.example.com/", "MADBASE_CORS_ORIGINS" },
        { "MADBASE_NATS_REPLICAS", "0", "MADBASE_NATS_REPLICAS" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task Start_InvalidVariable_ExitsNonZeroNamingVariable(string variable, string value, string named)
    {
        var port = TestPorts.Next();
        var environment = EdgeProcess.DefaultEnvironment("Host=127.0.0.1;Port=1", port, "config-" + port);
        environment[variable] = value;

        await using var edge = EdgeProcess.Launch(environment, [], port, "config-" + port);
        var exitCode = await edge.WaitForExitAsync(TimeSpan.FromSeconds(20));

        Assert.NotEqual(0, exitCode);
        var lines = edge.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.Contains(named, line, StringComparison.Ordinal);
        Assert.StartsWith("madbase-edge: invalid configuration:", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_S3BackendWithoutEndpoint_ExitsNamingEndpoint()
    {
        var port = TestPorts.Next();
        var environment = EdgeProcess.DefaultEnvironment("Host=127.0.0.1;Port=1", port, "config-" + port);
        environment["MADBASE_STORAGE_BACKEND"] = "s3";

        await using var edge = EdgeProcess.Launch(environment, [], port, "config-" + port);

        Assert.Equal(2, await edge.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("MADBASE_S3_ENDPOINT", edge.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_UnknownFlag_ExitsNamingFlag()
    {
        var port = TestPorts.Next();
        var environment = EdgeProcess.DefaultEnvironment("Host=127.0.0.1;Port=1", port, "config-" + port);

        await using var edge = EdgeProcess.Launch(environment, ["--lisen", "http://127.0.0.1:1"], port, "config-" + port);

        Assert.Equal(2, await edge.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("--lisen", edge.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_FlagOverridesEnvironment_ListensOnFlagPort()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        var envPort = TestPorts.Next();
        var flagPort = TestPorts.Next();
        var environment = EdgeProcess.DefaultEnvironment(database, envPort, "flag-" + flagPort);

        await using var edge = EdgeProcess.Launch(environment, ["--listen", $"http://127.0.0.1:{flagPort}"], flagPort, "flag-" + flagPort);
        await edge.WaitUntilAsync("/health", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Start_RealtimeFlagInvalid_ExitsNamingVariable()
    {
        var port = TestPorts.Next();
        var environment = EdgeProcess.DefaultEnvironment("Host=127.0.0.1;Port=1", port, "config-" + port);

        await using var edge = EdgeProcess.Launch(environment, ["--realtime-outbound-queue", "3"], port, "config-" + port);

        Assert.Equal(2, await edge.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("MADBASE_REALTIME_OUTBOUND_QUEUE", edge.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_Flag_ListsEveryVariableAndExitsZero()
    {
        var port = TestPorts.Next();
        await using var edge = EdgeProcess.Launch(new Dictionary<string, string>(), ["--help"], port, "help-" + port);

        Assert.Equal(0, await edge.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        foreach (var variable in new[]
        {
            "MADBASE_LISTEN", "MADBASE_DATABASE_URL", "MADBASE_JWT_SECRET", "MADBASE_STORAGE_BACKEND", "MADBASE_STORAGE_DIR",
            "MADBASE_SCRATCH_DIR", "MADBASE_S3_ENDPOINT", "MADBASE_S3_REGION", "MADBASE_S3_BUCKET", "MADBASE_S3_ACCESS_KEY",
            "MADBASE_S3_SECRET_KEY", "MADBASE_S3_FORCE_PATH_STYLE", "MADBASE_PUBLICATION", "MADBASE_SLOT",
            "MADBASE_REALTIME_OUTBOUND_QUEUE", "MADBASE_UPLOAD_EXPIRY", "MADBASE_S3_PART_SIZE", "MADBASE_CHANGE_LOG",
            "MADBASE_NATS_URL", "MADBASE_NATS_REPLICAS",
        })
        {
            Assert.Contains(variable, edge.Log, StringComparison.Ordinal);
        }

        Assert.Contains("--s3-force-path-style", edge.Log, StringComparison.Ordinal);
    }
}
