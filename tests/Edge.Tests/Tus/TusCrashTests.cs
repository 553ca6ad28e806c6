using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace MadBase.Edge.Tests.Tus;

/// <summary>Durability: the offset HEAD reports after a SIGKILL never exceeds what survived, and the upload finishes.</summary>
public sealed class TusCrashTests
{
    private const int MiB = 1024 * 1024;

    [Theory]
    [InlineData("file")]
    [InlineData("s3")]
    public async Task Patch_ServerKilledMidPatch_ResumesAfterRestartWithIdenticalObject(string backend)
    {
        await using var server = await TusServer.StartAsync(backend);
        var bytes = TestFiles.Bytes(24 * MiB, seed: 11);
        var url = await server.CreateUrlAsync("crash/24mib.bin", bytes.Length);
        using (var first = await server.PatchAsync(url, 0, bytes[..(6 * MiB)]))
        {
            Assert.Equal(204, (int)first.StatusCode);
        }

        // Second PATCH: 4 MiB of a declared 18 MiB body arrive, then the server dies while waiting for the rest.
        var gate = new TaskCompletionSource();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        using var request = TusServer.Request(HttpMethod.Patch, url, Tokens.ServiceRole);
        request.Headers.Add("Upload-Offset", (6 * MiB).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var body = new GatedStream(bytes[(6 * MiB)..(10 * MiB)], gate.Task);
        request.Content = new StreamContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
        request.Content.Headers.ContentLength = 18 * MiB;
        var inFlight = http.SendAsync(request);
        await WaitUntilAsync(() => body.Sent == 4 * MiB);
        await Task.Delay(500); // let the server write what it received

        await server.RestartHardAsync();
        gate.SetResult();
        await Assert.ThrowsAnyAsync<Exception>(() => inFlight);

        using var head = await server.HeadAsync(url);
        Assert.Equal(200, (int)head.StatusCode);
        var offset = TusServer.Offset(head);
        Assert.InRange(offset, 6 * MiB, 10 * MiB); // never more than was sent; the fsynced first chunk survived

        using var rest = await server.PatchAsync(url, offset, bytes[(int)offset..]);
        Assert.Equal(204, (int)rest.StatusCode);
        Assert.Equal("1", rest.Headers.GetValues("Tus-Complete").Single());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), await server.DownloadSha256Async("crash/24mib.bin"));
        Assert.Equal(1L, await server.ScalarAsync("select count(*) from storage.objects where name = 'crash/24mib.bin'"));
    }

    [Theory]
    [InlineData("file")]
    [InlineData("s3")]
    public async Task TusJsClient_ServerKilledMidPatchAndRestarted_ClientRetriesResumesAndObjectIsIdentical(string backend)
    {
        await using var server = await TusServer.StartAsync(backend);
        var (path, sha) = await TestFiles.GetAsync(64L * MiB);
        var progress = Path.Combine(TestEnvironment.WorkDir, $"progress-{Guid.NewGuid():N}.txt");
        const int chunk = 16 * MiB;
        var client = NodeScript.RunAsync("tus-upload.mjs", new Dictionary<string, string>
        {
            ["TUS_ENDPOINT"] = server.Endpoint,
            ["TUS_TOKEN"] = Tokens.ServiceRole,
            ["TUS_FILE"] = path,
            ["TUS_BUCKET"] = TusServer.Bucket,
            ["TUS_OBJECT"] = "crash/tus-js-client.bin",
            ["TUS_MODE"] = "single",
            ["TUS_CHUNK"] = chunk.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["TUS_PROGRESS_FILE"] = progress,
            ["TUS_RETRY_DELAYS"] = "500,1000,2000,3000,5000,8000,13000",
        }, TimeSpan.FromMinutes(4), TestContext.Current.CancellationToken);

        // Kill while PATCHes are streaming: past the first chunk, well before the end (the client is never idle in between).
        await WaitUntilAsync(() => SentBytes(progress) is > chunk + MiB and < 62L * MiB);
        await server.RestartHardAsync();

        var result = await client;
        Assert.True(result.Json.GetProperty("ok").GetBoolean(), result.Stdout + result.Stderr);
        Assert.DoesNotContain("rolled back", server.Edge.Log); // the scratch file survived: nothing below the acknowledged offset is resent
        Assert.Equal(sha, await server.DownloadSha256Async("crash/tus-js-client.bin"));
        Assert.Equal(1L, await server.ScalarAsync("select count(*) from storage.objects where name = 'crash/tus-js-client.bin'"));
    }

    [Fact]
    public async Task Head_FullyReceivedButNotCompletedBeforeCrash_CompletesOnHead()
    {
        await using var server = await TusServer.StartAsync("file");
        var bytes = TestFiles.Bytes(1000, seed: 12);
        var url = await server.CreateUrlAsync("crash/half-complete.bin", bytes.Length);

        // Simulate a crash between "all bytes durable" and "object stored": write the scratch file's bytes and
        // offset the way a PATCH does, without completing.
        using (var patch = await server.PatchAsync(url, 0, bytes[..999]))
        {
            Assert.Equal(204, (int)patch.StatusCode);
        }

        var version = (Guid)(await server.ScalarAsync("select version from madbase.tus_uploads where object_name = 'crash/half-complete.bin'"))!;
        await using (var scratch = new FileStream(Path.Combine(server.Edge.Environment["MADBASE_SCRATCH_DIR"], version.ToString("N") + ".part"), FileMode.Open))
        {
            scratch.Seek(999, SeekOrigin.Begin);
            scratch.Write(bytes, 999, 1);
        }

        var crc = System.IO.Hashing.Crc32.HashToUInt32(bytes); // what a PATCH stores with the offset
        await server.ExecuteAsync($"update madbase.tus_uploads set upload_offset = 1000, received_crc32 = {crc} where object_name = 'crash/half-complete.bin'");
        await server.RestartHardAsync();

        using var head = await server.HeadAsync(url);
        Assert.Equal(200, (int)head.StatusCode);
        Assert.Equal(1000, TusServer.Offset(head));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), await server.DownloadSha256Async("crash/half-complete.bin"));
    }

    [Fact]
    public async Task Head_AfterExpiry_Returns410AndSweeperDeletesScratch()
    {
        await using var server = await TusServer.StartAsync("file", env =>
        {
            env["MADBASE_UPLOAD_EXPIRY"] = "2";
            env["MADBASE_UPLOAD_SWEEP_INTERVAL"] = "1";
        });
        var url = await server.CreateUrlAsync("expiry/soon.bin", 100);
        using (var patch = await server.PatchAsync(url, 0, TestFiles.Bytes(50)))
        {
            Assert.True(patch.Headers.Contains("Upload-Expires"));
        }

        var version = (Guid)(await server.ScalarAsync("select version from madbase.tus_uploads where object_name = 'expiry/soon.bin'"))!;
        var scratch = Path.Combine(server.Edge.Environment["MADBASE_SCRATCH_DIR"], version.ToString("N") + ".part");
        Assert.True(File.Exists(scratch));
        await Task.Delay(2500);

        using var head = await server.HeadAsync(url);
        Assert.Equal(410, (int)head.StatusCode);
        using var patchLate = await server.PatchAsync(url, 50, TestFiles.Bytes(50));
        Assert.Equal(410, (int)patchLate.StatusCode);
        await WaitUntilAsync(() => !File.Exists(scratch));
    }

    private static long SentBytes(string progressFile)
    {
        try
        {
            return long.TryParse(File.ReadAllText(progressFile), out var sent) ? sent : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 60 s");
            await Task.Delay(5);
        }
    }
}
