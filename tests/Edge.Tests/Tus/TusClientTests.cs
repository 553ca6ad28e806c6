namespace MadBase.Edge.Tests.Tus;

/// <summary>
/// The real npm tus-js-client 4.3.1, configured as Supabase's docs say, against the published binary on both
/// backends; every stored object is downloaded through the REST API and compared by SHA-256.
/// </summary>
public sealed class TusClientTests
{
    private const int MiB = 1024 * 1024;

    [Theory]
    [InlineData("file")]
    [InlineData("s3")]
    public async Task Upload_64MiBIn6MiBChunksWithSupabaseMetadata_StoresIdenticalObject(string backend)
    {
        await using var server = await TusServer.StartAsync(backend);
        var (path, sha) = await TestFiles.GetAsync(64L * MiB);

        var result = await RunAsync(server, "single", path, "big/64mib.bin");

        Assert.Equal(sha, await server.DownloadSha256Async("big/64mib.bin"));
        var url = result.GetProperty("results")[0].GetProperty("url").GetString()!;
        Assert.StartsWith(server.Endpoint + "/", url, StringComparison.Ordinal);
        var id = System.Text.Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(url.AsSpan(server.Endpoint.Length + 1)));
        Assert.StartsWith("uploads/big/64mib.bin/", id, StringComparison.Ordinal);
        Assert.Equal("{\"scenario\": \"single\"}", (string?)await server.ScalarAsync("select user_metadata::text from storage.objects where name = 'big/64mib.bin'"));
        Assert.Equal("max-age=3600", (string?)await server.ScalarAsync("select metadata->>'cacheControl' from storage.objects where name = 'big/64mib.bin'"));
        Assert.Equal(64L * MiB, (long?)await server.ScalarAsync("select (metadata->>'size')::bigint from storage.objects where name = 'big/64mib.bin'"));
        Assert.Equal(0L, await server.ScalarAsync("select count(*) from madbase.tus_uploads where status <> 'completed'"));
        if (backend == "file")
        {
            // The ETag of a resumable upload on the file backend is its version with S3's multipart suffix (no MD5 per byte).
            var version = (string?)await server.ScalarAsync("select version from storage.objects where name = 'big/64mib.bin'");
            Assert.Equal("\"" + Guid.Parse(version!).ToString("N") + "-1\"", (string?)await server.ScalarAsync("select metadata->>'eTag' from storage.objects where name = 'big/64mib.bin'"));
        }
    }

    [Theory]
    [InlineData("file")]
    [InlineData("s3")]
    public async Task Upload_AbortedThenFoundByFindPreviousUploads_ResumesAndStoresIdenticalObject(string backend)
    {
        await using var server = await TusServer.StartAsync(backend);
        var (path, sha) = await TestFiles.GetAsync(20L * MiB);

        var result = await RunAsync(server, "resume", path, "resume/20mib.bin", env => env["TUS_ABORT_AFTER"] = (12 * MiB).ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(result.GetProperty("resumedFrom").GetInt64() >= 12 * MiB, "the second attempt started from the server's offset, not from zero");
        Assert.Equal(sha, await server.DownloadSha256Async("resume/20mib.bin"));
    }

    [Theory]
    [InlineData("file")]
    [InlineData("s3")]
    public async Task Upload_DeferredLength_StoresIdenticalObject(string backend)
    {
        await using var server = await TusServer.StartAsync(backend);
        var (path, sha) = await TestFiles.GetAsync(13L * MiB + 12345, seed: 3);

        await RunAsync(server, "defer", path, "defer/stream.bin");

        Assert.Equal(sha, await server.DownloadSha256Async("defer/stream.bin"));
    }

    [Theory]
    [InlineData("file")]
    [InlineData("s3")]
    public async Task Upload_ParallelUploadsWithConcatenation_StoresIdenticalObject(string backend)
    {
        await using var server = await TusServer.StartAsync(backend);
        var (path, sha) = await TestFiles.GetAsync(30L * MiB + 7, seed: 5);

        await RunAsync(server, "parallel", path, "parallel/30mib.bin", env => env["TUS_PARALLEL"] = "3");

        Assert.Equal(sha, await server.DownloadSha256Async("parallel/30mib.bin"));
        Assert.Equal(0L, await server.ScalarAsync("select count(*) from madbase.tus_uploads where concat = 'partial'"));
    }

    [Theory]
    [InlineData("file")]
    [InlineData("s3")]
    public async Task Upload_EightConcurrentUploads_AllStoredIdentically(string backend)
    {
        await using var server = await TusServer.StartAsync(backend);
        var (path, sha) = await TestFiles.GetAsync(10L * MiB, seed: 8);

        await RunAsync(server, "concurrent", path, "many/file", env => env["TUS_COUNT"] = "8");

        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(sha, await server.DownloadSha256Async($"many/file-{i}"));
        }
    }

    [Theory]
    [InlineData("file")]
    [InlineData("s3")]
    public async Task Upload_UppyWithSupabaseConfiguration_StoresIdenticalObjectWithMetadata(string backend)
    {
        await using var server = await TusServer.StartAsync(backend);
        var (path, sha) = await TestFiles.GetAsync(20L * MiB);

        var result = await NodeScript.RunAsync(
            "uppy-upload.mjs",
            new Dictionary<string, string>
            {
                ["UPPY_ENDPOINT"] = server.Endpoint,
                ["UPPY_TOKEN"] = Tokens.ServiceRole,
                ["UPPY_FILE"] = path,
                ["UPPY_BUCKET"] = TusServer.Bucket,
                ["UPPY_OBJECT"] = "uppy/20mib.bin",
            },
            TimeSpan.FromMinutes(4),
            TestContext.Current.CancellationToken);

        Assert.True(result.Json.GetProperty("ok").GetBoolean(), result.Stdout + result.Stderr);
        Assert.StartsWith(server.Endpoint + "/", result.Json.GetProperty("uploadURL").GetString(), StringComparison.Ordinal);
        Assert.Equal(sha, await server.DownloadSha256Async("uppy/20mib.bin"));
        Assert.Equal("{\"via\": \"uppy\"}", (string?)await server.ScalarAsync("select user_metadata::text from storage.objects where name = 'uppy/20mib.bin'"));
    }

    private static async Task<System.Text.Json.JsonElement> RunAsync(TusServer server, string mode, string path, string objectName, Action<Dictionary<string, string>>? configure = null)
    {
        var env = new Dictionary<string, string>
        {
            ["TUS_ENDPOINT"] = server.Endpoint,
            ["TUS_TOKEN"] = Tokens.ServiceRole,
            ["TUS_FILE"] = path,
            ["TUS_BUCKET"] = TusServer.Bucket,
            ["TUS_OBJECT"] = objectName,
            ["TUS_MODE"] = mode,
        };
        configure?.Invoke(env);
        var result = await NodeScript.RunAsync("tus-upload.mjs", env, TimeSpan.FromMinutes(4), TestContext.Current.CancellationToken);
        Assert.True(result.Json.GetProperty("ok").GetBoolean(), result.Stdout + result.Stderr);
        return result.Json;
    }
}
