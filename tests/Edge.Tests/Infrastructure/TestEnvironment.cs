namespace MadBase.Edge.Tests.Infrastructure;

/// <summary>
/// What <c>scripts/test.sh</c> started for this run, passed in environment variables: the published AOT binary,
/// a PostgreSQL 15 cluster with wal_level=logical, the S3 test server and the npm clients folder.
/// </summary>
internal static class TestEnvironment
{
    public static string BinaryPath => Require("MADBASE_TEST_BINARY");

    /// <summary>Superuser connection string of the test cluster (database <c>postgres</c>).</summary>
    public static string AdminConnectionString => Require("MADBASE_TEST_PG");

    public static string S3Endpoint => Require("MADBASE_TEST_S3_ENDPOINT");

    public static string S3Bucket => Environment.GetEnvironmentVariable("MADBASE_TEST_S3_BUCKET") ?? "madbase-test";

    /// <summary>The folder holding <c>node_modules</c> with supabase-js, ws and tus-js-client.</summary>
    public static string NodeDir => Require("MADBASE_TEST_NODE_DIR");

    /// <summary>
    /// <c>MADBASE_TEST_REALTIME_TRANSPORT</c> (<c>epoll</c> or <c>kestrel</c>): the realtime transport every test server
    /// gets unless a test chooses one itself, so the whole realtime suite can run on Kestrel's transport pipes (the
    /// production path on arm64) as well as on the epoll default. Null when unset: the server's own default.
    /// </summary>
    public static string? RealtimeTransport { get; } = ReadRealtimeTransport();

    public static string JwtSecret => "test-secret-test-secret-test-secret-0123456789";

    public static string WorkDir { get; } = CreateWorkDir();

    /// <summary>The checkout the tests were built from: the first folder above the test assembly holding MadBase.sln.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Creates a fresh database so each test owns its schema, publication and slot names.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var name = "t_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"create database {name}", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, Pooling = false }.ConnectionString;
    }

    private static string Require(string variable) =>
        Environment.GetEnvironmentVariable(variable)
        ?? throw new InvalidOperationException($"{variable} is not set: run the end-to-end tests through `make test`, which starts what they need.");

    private static string? ReadRealtimeTransport()
    {
        const string variable = "MADBASE_TEST_REALTIME_TRANSPORT";
        return Environment.GetEnvironmentVariable(variable) switch
        {
            null or "" => null,
            "epoll" => "epoll",
            "kestrel" => "kestrel",
            var other => throw new InvalidOperationException($"{variable}={other}: expected epoll or kestrel"),
        };
    }

    private static string CreateWorkDir()
    {
        var root = Environment.GetEnvironmentVariable("MADBASE_TEST_WORKDIR") ?? Path.Combine(Path.GetTempPath(), "madbase-edge-tests");
        var dir = Path.Combine(root, DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + "-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MadBase.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no MadBase.sln above {AppContext.BaseDirectory}");
    }
}
